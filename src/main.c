#include <stdio.h>

int main(void)
{
	fputs("coffer: not assembled yet\n", stderr);
	return 1;
}
