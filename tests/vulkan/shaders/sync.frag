#version 450
// One constant colour, so that the drawn pixels can be counted on the host.
layout(location = 0) out vec4 color;

void main()
{
   color = vec4(1.0, 0.0, 0.0, 1.0);
}
