#include <stdio.h>

int main(void)
{
	char name[100];

	printf("What is your name? ");
	fflush(stdout);
	if (scanf("%99s", name) == 1)
		printf("Hello, %s!\n", name);
	return 0;
}
