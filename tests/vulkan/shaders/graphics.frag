#version 450
// Textured draws take the texel times the uniform-buffer tint; the others
// take the interpolated vertex color.

layout(set = 0, binding = 0) uniform Material {
   vec4 tint;
} material;
layout(set = 0, binding = 1) uniform sampler2D tex;

layout(push_constant) uniform Draw {
   vec2 offset;
   float depth;
   uint textured;
} draw;

layout(location = 0) in vec2 in_uv;
layout(location = 1) in vec4 in_color;

layout(location = 0) out vec4 out_color;

void main()
{
   out_color = draw.textured != 0u ? texture(tex, in_uv) * material.tint : in_color;
}
