/* Console input: reads lines from fd 0 (the kernel's IRQ4-driven console
 * read, parked in the server) and echoes them upper-cased until "quit". */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char line[128];
	int n = 0, lines = 0;
	printf("echo: ready\n");
	fflush(stdout);
	for (;;) {
		char c;
		if (read(0, &c, 1) != 1)
			return 2;
		if (c == '\r' || c == '\n') {
			line[n] = 0;
			if (n == 0)
				continue;
			if (strcmp(line, "quit") == 0)
				break;
			for (int i = 0; i < n; i++)
				line[i] = toupper((unsigned char)line[i]);
			printf("echo: %s\n", line);
			fflush(stdout);
			lines++;
			n = 0;
		} else if (n < (int)sizeof line - 1) {
			line[n++] = c;
		}
	}
	printf("echo: %d lines\n", lines);
	return lines;
}
