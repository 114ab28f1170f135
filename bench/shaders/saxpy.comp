#version 450
// y = a * x + y.  Dispatched as a 2D grid because one dimension may hold at
// most 65535 workgroups and 16M elements need 65536 groups of 256.
layout(local_size_x = 256) in;
layout(push_constant) uniform Params {
   float a;
   uint n;
} p;
layout(set = 0, binding = 0) readonly buffer X { float x[]; };
layout(set = 0, binding = 1) buffer Y { float y[]; };

void main()
{
   uint i = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x + gl_GlobalInvocationID.x;
   if (i < p.n)
      y[i] = p.a * x[i] + y[i];
}
