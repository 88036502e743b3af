// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side helpers: /proc/cpuinfo, the module syscalls, /proc/modules,
 * /proc/misc, /dev/kmsg, taint flags and kernel memory.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/ringside.h>

#include "rs_sys.h"

/* Whether the first CPU's @field line of /proc/cpuinfo lists @flag. */
static bool cpuinfo_lists(const char *field, const char *flag)
{
	size_t len = strlen(flag);
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f;

	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		char *p;

		if (strncmp(line, field, strlen(field)))
			continue;
		p = strchr(line, ':');
		while (p && (p = strstr(p, flag))) {
			if (p[-1] == ' ' && (p[len] == ' ' || p[len] == '\n' ||
					     !p[len])) {
				found = true;
				break;
			}
			p += len;
		}
		/* One CPU's flags are enough. */
		break;
	}
	free(line);
	fclose(f);
	return found;
}

bool rs_cpu_has_flag(const char *flag)
{
	return cpuinfo_lists("flags", flag);
}

bool rs_cpu_has_bug(const char *bug)
{
	return cpuinfo_lists("bugs", bug);
}

bool rs_host_has_virt(void)
{
	return rs_cpu_has_flag("svm") || rs_cpu_has_flag("vmx");
}

const char *rs_module_path(void)
{
	const char *path = getenv("RINGSIDE_KO");
	struct stat st;

	if (!path || !*path)
		path = RS_KO_DEFAULT;
	return stat(path, &st) ? NULL : path;
}

int rs_module_load(const char *path)
{
	const char *params = getenv("RINGSIDE_PARAMS");
	int fd, r, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = syscall(SYS_finit_module, fd, params ? params : "", 0);
	err = errno;
	close(fd);
	errno = err;
	return r;
}

int rs_module_unload(void)
{
	return syscall(SYS_delete_module, RS_MODULE_NAME, O_NONBLOCK);
}

int rs_sample_load(const char *name)
{
	const char *ko = rs_module_path();
	char path[PATH_MAX];
	const char *slash;
	int fd, r, err;

	if (!ko) {
		errno = ENOENT;
		return -1;
	}
	slash = strrchr(ko, '/');
	snprintf(path, sizeof(path), "%.*s%s.ko",
		 slash ? (int)(slash - ko + 1) : 0, ko, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = syscall(SYS_finit_module, fd, "", 0);
	err = errno;
	close(fd);
	errno = err;
	return r;
}

int rs_sample_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK);
}

/*
 * The "used by" column of @name's line in /proc/modules into @users
 * (@size bytes, "-" if none); false if no line names @name.
 */
static bool module_users(const char *name, char *users, size_t size)
{
	char mod[64], by[512];
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	long msize, ref;
	FILE *f;

	f = fopen("/proc/modules", "r");
	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		/* "name size refcnt users state address" */
		if (sscanf(line, "%63s %ld %ld %511s", mod, &msize, &ref, by) != 4)
			continue;
		if (!strcmp(mod, name)) {
			snprintf(users, size, "%s", by);
			found = true;
		}
	}
	free(line);
	fclose(f);
	return found;
}

bool rs_sample_loaded(const char *name)
{
	char by[512];

	return module_users(name, by, sizeof(by));
}

bool rs_module_used_by(const char *user)
{
	char by[512], *tok, *save;

	if (!module_users(RS_MODULE_NAME, by, sizeof(by)))
		return false;
	/* "-", or "a,b," */
	for (tok = strtok_r(by, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, user))
			return true;
	return false;
}

int rs_module_count(long *refcnt)
{
	char name[64];
	long size, ref;
	char *line = NULL;
	size_t cap = 0;
	int n = 0;
	FILE *f;

	*refcnt = -1;
	f = fopen("/proc/modules", "r");
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%63s %ld %ld", name, &size, &ref) != 3)
			continue;
		if (!strcmp(name, RS_MODULE_NAME)) {
			n++;
			*refcnt = ref;
		}
	}
	free(line);
	fclose(f);
	return n;
}

int rs_misc_count(int *minor)
{
	char name[64];
	int n = 0, m;
	FILE *f;

	*minor = -1;
	f = fopen("/proc/misc", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%d %63s", &m, name) == 2) {
		if (!strcmp(name, RS_MODULE_NAME)) {
			n++;
			*minor = m;
		}
	}
	fclose(f);
	return n;
}

int rs_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

char *rs_kmsg_read(int fd)
{
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);
	char rec[8192];

	if (!out)
		return NULL;
	out[0] = '\0';
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *text, *end;
		size_t tlen;

		if (n < 0 && errno == EPIPE)	/* records lost: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		/* "prio,seq,usec,flags;text\n" then " KEY=value" lines */
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		end = strchr(text, '\n');
		tlen = end ? (size_t)(end - text) : strlen(text);
		if (len + tlen + 2 > cap) {
			char *p;

			cap = 2 * (len + tlen + 2);
			p = realloc(out, cap);
			if (!p)
				break;
			out = p;
		}
		memcpy(out + len, text, tlen);
		len += tlen;
		out[len++] = '\n';
		out[len] = '\0';
	}
	return out;
}

int rs_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

int rs_trace_start(const char *const *events, unsigned int n, uint32_t vm)
{
	char path[128], filter[32];
	unsigned int i;
	int r;

	snprintf(filter, sizeof(filter), "vm == %u", vm);
	r = rs_write_file(RS_TRACEFS "/tracing_on", "0");
	if (!r)
		r = rs_write_file(RS_TRACEFS "/buffer_size_kb", "4096");
	if (!r)
		r = rs_write_file(RS_TRACEFS "/trace", "");
	for (i = 0; !r && i < n; i++) {
		snprintf(path, sizeof(path), RS_TRACEFS "/events/ringside/%s/filter",
			 events[i]);
		r = rs_write_file(path, filter);
		snprintf(path, sizeof(path), RS_TRACEFS "/events/ringside/%s/enable",
			 events[i]);
		if (!r)
			r = rs_write_file(path, "1");
	}
	return r ? r : rs_write_file(RS_TRACEFS "/tracing_on", "1");
}

void rs_trace_stop(void)
{
	rs_write_file(RS_TRACEFS "/tracing_on", "0");
	rs_write_file(RS_TRACEFS "/events/ringside/enable", "0");
	rs_write_file(RS_TRACEFS "/events/ringside/filter", "0");
}

const char *rs_kmsg_find_splat(const char *log, size_t *len)
{
	static const char * const splats[] = {
		"WARNING:", "BUG:", "BUG at", "Oops", "general protection",
		"Call Trace", "UBSAN:", "KASAN:", "refcount_t:", "corruption",
		"Kernel panic", "kernel tried to execute", "unable to handle",
		"Unable to handle", "double fault", "soft lockup", "hung_task",
		"blocked for more than", "rcu: INFO", "stall",
		"Bad page", "bad page", "leak",
	};
	const char *line = log;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		size_t i;

		for (i = 0; i < sizeof(splats) / sizeof(splats[0]); i++) {
			const char *hit = memmem(line, n, splats[i],
						 strlen(splats[i]));

			if (hit) {
				*len = n;
				return line;
			}
		}
		line = end ? end + 1 : NULL;
	}
	return NULL;
}

bool rs_in_host_text(uint64_t addr)
{
	static uint64_t lo[2], hi[2];
	static bool read;
	char line[256], name[128];
	unsigned long long a;
	unsigned long size;
	FILE *f;

	if (!read) {
		read = true;
		f = fopen("/proc/kallsyms", "r");
		while (f && fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%llx %*s %127s", &a, name) != 2)
				continue;
			if (!strcmp(name, "_stext"))
				lo[0] = a;
			else if (!strcmp(name, "_etext"))
				hi[0] = a;
		}
		if (f)
			fclose(f);
		f = fopen("/proc/modules", "r");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "%127s %lu %*s %*s %*s %llx", name, &size,
				   &a) == 3 && !strcmp(name, RS_MODULE_NAME)) {
				lo[1] = a;
				hi[1] = a + size;
			}
		if (f)
			fclose(f);
	}
	return (addr >= lo[0] && addr < hi[0]) || (addr >= lo[1] && addr < hi[1]);
}

unsigned long rs_kernel_tainted(void)
{
	unsigned long t = ~0UL;
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");

	if (f) {
		if (fscanf(f, "%lu", &t) != 1)
			t = ~0UL;
		fclose(f);
	}
	return t;
}

const char *rs_taint_string(unsigned long taint, char *buf)
{
	/* kernel/panic.c's letters, bit 0 first */
	static const char letters[] = "PFSRMBUDAWCIOELKXTN";
	int i, n = 0;

	for (i = 0; letters[i]; i++)
		if (taint & (1UL << i))
			buf[n++] = letters[i];
	buf[n] = '\0';
	return buf;
}

static long read_key(const char *file, const char *key, int *found)
{
	size_t klen = strlen(key);
	char *line = NULL;
	size_t cap = 0;
	long v = 0;
	FILE *f;

	f = fopen(file, "r");
	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		if (!strncmp(line, key, klen) &&
		    (line[klen] == ' ' || line[klen] == ':' ||
		     line[klen] == '\t')) {
			char *p = line + klen;

			while (*p == ' ' || *p == ':' || *p == '\t')
				p++;
			v = strtol(p, NULL, 10);
			(*found)++;
			break;
		}
	}
	free(line);
	fclose(f);
	return v;
}

/*
 * From /proc/zoneinfo: the pages the page allocator manages, and the free
 * ones, counting those on per-CPU lists ("count:") as free.
 */
static int zone_pages(long *managed, long *freep)
{
	char *line = NULL;
	size_t cap = 0;
	long v;
	FILE *f;

	*managed = *freep = 0;
	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, " pages free %ld", &v) == 1 ||
		    sscanf(line, " count: %ld", &v) == 1)
			*freep += v;
		else if (sscanf(line, " managed %ld", &v) == 1)
			*managed += v;
	}
	free(line);
	fclose(f);
	return *managed ? 0 : -1;
}

static int mem_sample(struct rs_mem *m)
{
	long page_kb = sysconf(_SC_PAGESIZE) / 1024;
	long managed, freep, file, anon, srecl;
	int found = 0;

	if (zone_pages(&managed, &freep))
		return -1;
	file = read_key("/proc/vmstat", "nr_file_pages", &found);
	anon = read_key("/proc/vmstat", "nr_anon_pages", &found);
	srecl = read_key("/proc/vmstat", "nr_slab_reclaimable", &found);
	m->sunreclaim_kb = read_key("/proc/meminfo", "SUnreclaim", &found);
	m->vmalloc_kb = read_key("/proc/meminfo", "VmallocUsed", &found);
	m->percpu_kb = read_key("/proc/meminfo", "Percpu", &found);
	if (found != 6)
		return -1;
	m->free_kb = freep * page_kb;
	m->kernel_kb = (managed - freep - file - anon - srecl) * page_kb;
	return 0;
}

/*
 * Transient allocations only ever add to the measure and a leak stays, so
 * the smallest of a few samples is the least noisy answer.
 */
int rs_mem_snapshot(struct rs_mem *m)
{
	struct rs_mem s;
	int i, fd;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		/* best effort: without it the measure is only noisier */
		ssize_t n = write(fd, "3", 1);

		(void)n;
		close(fd);
	}

	for (i = 0; i < 5; i++) {
		if (mem_sample(&s))
			return -1;
		if (i == 0 || s.kernel_kb < m->kernel_kb)
			*m = s;
		usleep(20000);
	}
	return 0;
}

bool rs_kmemleak_present(void)
{
	return !access(RS_KMEMLEAK, W_OK);
}

int rs_kmemleak_clear(void)
{
	return rs_write_file(RS_KMEMLEAK, "clear");
}

char *rs_kmemleak_scan(void)
{
	size_t len = 0, cap = 4096;
	char *out;
	ssize_t n;
	int fd;

	/* kmemleak calls nothing younger than 5 s unreferenced */
	sleep(6);
	if (rs_write_file(RS_KMEMLEAK, "scan"))
		return NULL;
	fd = open(RS_KMEMLEAK, O_RDONLY | O_CLOEXEC);
	out = fd >= 0 ? malloc(cap) : NULL;
	if (!out) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, out + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 1024) {
			char *more = realloc(out, cap * 2);

			if (!more)
				break;
			out = more;
			cap *= 2;
		}
	}
	out[len] = 0;
	close(fd);
	return out;
}

/* The first of kmemleak's reports whose allocation ringside made. */
const char *rs_kmemleak_mine(const char *report, size_t *len)
{
	const char *p = strstr(report, "unreferenced object"), *next;

	for (; p; p = next) {
		next = strstr(p + 1, "unreferenced object");
		*len = next ? (size_t)(next - p) : strlen(p);
		if (memmem(p, *len, "[ringside]", 10))
			return p;
	}
	return NULL;
}
