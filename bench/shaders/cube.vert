#version 450
// vkcube's geometry without a vertex buffer: 36 vertices (12 triangles) of a
// unit cube indexed by gl_VertexIndex, transformed by a per-frame uniform.
layout(set = 0, binding = 0) uniform Frame {
   mat4 mvp;
} frame;
layout(location = 0) out vec3 color;

void main()
{
   const vec3 corners[8] = vec3[](
      vec3(-1.0, -1.0, -1.0), vec3(1.0, -1.0, -1.0), vec3(-1.0, 1.0, -1.0), vec3(1.0, 1.0, -1.0),
      vec3(-1.0, -1.0, 1.0), vec3(1.0, -1.0, 1.0), vec3(-1.0, 1.0, 1.0), vec3(1.0, 1.0, 1.0));
   const int index[36] = int[](
      0, 2, 1, 1, 2, 3,  4, 5, 6, 5, 7, 6,  0, 1, 4, 1, 5, 4,
      2, 6, 3, 3, 6, 7,  0, 4, 2, 2, 4, 6,  1, 3, 5, 3, 7, 5);
   vec3 p = corners[index[gl_VertexIndex]];
   gl_Position = frame.mvp * vec4(p, 1.0);
   color = p * 0.5 + 0.5;
}
