/* Run by forkexec: prints its arguments and parent, exits with argv[1]. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv, char **envp)
{
	printf("child: argv[0] %s argv[1] %s env %s ppid %d\n", argv[0], argc > 1 ? argv[1] : "-",
	       envp[0] ? envp[0] : "-", (int)getppid());
	return argc > 1 ? atoi(argv[1]) : 0;
}
