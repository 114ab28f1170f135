#version 450
// Each invocation steps a 32-bit LCG `steps` times from seed + its index
// and adds what it reached into x: GPU work whose length the dispatch sets
// and whose result the CPU can check.  (llvmpipe ends a loop after 65535
// iterations: steps stays below; the length comes from the invocations.)
layout(local_size_x = 64) in;
layout(std430, set = 0, binding = 0) buffer R { uint x; };
layout(push_constant) uniform P { uint seed; uint steps; };
void main()
{
    uint id = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u + gl_GlobalInvocationID.x;
    uint v = seed + id;
    for (uint i = 0; i < steps; i++)
        v = v * 1664525u + 1013904223u;
    atomicAdd(x, v);
}
