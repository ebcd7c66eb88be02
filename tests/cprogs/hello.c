/* The first C program on the system: printf through musl's stdio
 * (writev on fd 1), and an exit status the test checks. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	printf("hello from musl, pid %d, argc %d, argv[0] %s\n", (int)getpid(), argc, argv[0]);
	return 42;
}
