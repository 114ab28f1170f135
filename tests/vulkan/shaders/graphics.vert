#version 450
// Per-draw placement comes from push constants, so one vertex and index
// buffer serve every draw; the depth is the same for the whole primitive,
// which makes the depth test's outcome exact.

layout(location = 0) in vec2 in_pos;
layout(location = 1) in vec2 in_uv;
layout(location = 2) in vec4 in_color;

layout(push_constant) uniform Draw {
   vec2 offset;
   float depth;
   uint textured;
} draw;

layout(location = 0) out vec2 out_uv;
layout(location = 1) out vec4 out_color;

void main()
{
   gl_Position = vec4(in_pos + draw.offset, draw.depth, 1.0);
   out_uv = in_uv;
   out_color = in_color;
}
