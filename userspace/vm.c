// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the VM and its vCPUs over the ioctl interface.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "vm.h"

#define RS_DEVICE	"/dev/ringside"

/* "MAJOR:MINOR" of the misc device the module registered, if it did. */
static int read_devnum(char *buf, size_t len)
{
	FILE *f = fopen("/sys/class/misc/ringside/dev", "re");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void explain_open_failure(int errnum)
{
	char devnum[32];

	switch (errnum) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		if (read_devnum(devnum, sizeof(devnum)) == 0) {
			char *colon = strchr(devnum, ':');

			if (colon)
				*colon = ' ';
			pr_err("the ringside module is loaded but %s is missing; "
			       "create it with: mknod %s c %s", RS_DEVICE,
			       RS_DEVICE, devnum);
			break;
		}
		pr_err("%s: the ringside module is not loaded (%s); load it "
		       "with 'insmod ringside.ko' or 'modprobe ringside'",
		       RS_DEVICE, strerror(errnum));
		break;
	case EACCES:
	case EPERM:
		pr_err("%s: %s (it is root's only by default)", RS_DEVICE,
		       strerror(errnum));
		break;
	default:
		pr_err("%s: %s", RS_DEVICE, strerror(errnum));
		break;
	}
}

int ringside_open(void)
{
	int fd = open(RS_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		explain_open_failure(errno);
	return fd;
}
