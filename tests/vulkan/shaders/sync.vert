#version 450
// A triangle that covers the whole framebuffer (test_sync's occlusion
// query): the scissor decides which pixels are drawn.
void main()
{
   const vec2 p = vec2((gl_VertexIndex << 1) & 2, gl_VertexIndex & 2);
   gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
