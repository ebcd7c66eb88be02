/* The tiny program stress_leak_procs execs: exits with argv[1]. */
#include <stdlib.h>

int main(int argc, char **argv)
{
	return argc > 1 ? atoi(argv[1]) : 0;
}
