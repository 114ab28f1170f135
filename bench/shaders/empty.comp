#version 450
// The cheapest possible dispatch: what is measured is the command, not the work.
layout(local_size_x = 1) in;

void main()
{
}
