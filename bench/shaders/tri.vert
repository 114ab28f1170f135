#version 450
// A small triangle (4 pixels a side at 256x256) in one cell of a 32x32 grid
// chosen by the instance index: draws differ only by firstInstance, so the
// benchmark needs no vertex buffer and each draw touches few pixels.
layout(location = 0) out vec3 color;

void main()
{
   const vec2 corner[3] = vec2[](vec2(0.0, 0.0), vec2(1.0, 0.0), vec2(0.0, 1.0));
   uint cell = uint(gl_InstanceIndex) % 1024u;
   vec2 origin = vec2(float(cell % 32u), float(cell / 32u)) / 16.0 - 1.0;
   gl_Position = vec4(origin + corner[gl_VertexIndex] / 32.0, 0.0, 1.0);
   color = vec3(float(cell % 32u) / 31.0, float(cell / 32u) / 31.0, 0.5);
}
