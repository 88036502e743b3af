// SPDX-License-Identifier: GPL-2.0
/*
 * The launcher reads the netlink family as the tests do: `ringside stat
 * --once --json` lists this test's VM with its pid, vCPUs and the CPUID
 * exits its guest made, `ringside stat --once` shows it in the table, the
 * same run as uid 65534 does not list it, and `ringside trace` prints
 * events of it while it runs.  Skips where `ringside` is not on PATH
 * (the test VMs put it there).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rs_nl.h"
#include "rs_test.h"
#include "rs_util.h"

#define N	777

static void guest_code(uint64_t forever)
{
	uint64_t i;

	for (i = 0; i < N; i++)
		rs_cpuid(0, 0);
	GUEST_SYNC(1);
	while (forever)
		rs_cpuid(0, 0);
	GUEST_DONE();
}

/* The whole output of a shell command, or NULL. */
static char *run(const char *cmd, int *status)
{
	size_t len = 0, cap = 65536;
	char *out = malloc(cap);
	FILE *f = popen(cmd, "r");
	size_t n;

	if (!f || !out) {
		free(out);
		return NULL;
	}
	while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap)
			out = realloc(out, cap *= 2);
	}
	out[len] = '\0';
	*status = pclose(f);
	return out;
}

static bool have_launcher(void)
{
	return system("command -v ringside >/dev/null 2>&1") == 0;
}

/* The number after "key": inside the object that starts at @obj. */
static long long json_num(const char *obj, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(obj, pat);
	return p ? atoll(p + strlen(pat)) : -1;
}

TEST(stat_json_lists_the_vm)
{
	char cmd[128], pat[64], *out, *obj, *exits, *p50, *p99;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	int status;
	uint32_t id;

	RS_REQUIRE_VM();
	RS_REQUIRE_ROOT();
	if (!have_launcher())
		SKIP(return, "no ringside launcher on PATH");
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_args_set(vcpu, 1, 0);
	rs_vcpu_expect_sync(vcpu, 1);
	id = rs_vm_id(vm);

	out = run("ringside stat --once --json", &status);
	ASSERT_NE(NULL, out);
	ASSERT_EQ(0, status) TH_LOG("%s", out);
	ASSERT_EQ('[', out[0]) TH_LOG("%s", out);
	snprintf(pat, sizeof(pat), "{\"id\": %u,", id);
	obj = strstr(out, pat);
	ASSERT_NE(NULL, obj) TH_LOG("VM %u not in %s", id, out);
	EXPECT_EQ(getpid(), json_num(obj, "pid"));
	EXPECT_EQ(1, json_num(obj, "vcpus"));
	exits = strstr(obj, "\"exits\": {");
	ASSERT_NE(NULL, exits);
	if (vm->svm || json_num(exits, "CPUID") >= 0)
		EXPECT_EQ(N, json_num(exits, "CPUID")) TH_LOG("%s", obj);
	/* The percentiles of the CPUID exits' times: p50 <= p99, both > 0. */
	p50 = strstr(obj, "\"exit_p50_ns\": {");
	p99 = strstr(obj, "\"exit_p99_ns\": {");
	ASSERT_NE(NULL, p50) TH_LOG("%s", obj);
	ASSERT_NE(NULL, p99) TH_LOG("%s", obj);
	if (vm->svm || json_num(exits, "CPUID") >= 0) {
		EXPECT_LT(0, json_num(p50, "CPUID")) TH_LOG("%s", obj);
		EXPECT_LE(json_num(p50, "CPUID"), json_num(p99, "CPUID"));
	}
	free(out);

	snprintf(cmd, sizeof(cmd), "ringside stat --once");
	out = run(cmd, &status);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, status);
	snprintf(pat, sizeof(pat), "VM %u  pid %d ", id, getpid());
	EXPECT_NE(NULL, strstr(out, pat)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "p99 ns")) TH_LOG("%s", out);
	free(out);

	/* Another user sees an empty list. */
	out = run("su -s /bin/sh nobody -c 'ringside stat --once --json'", &status);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, status) TH_LOG("%s", out);
	snprintf(pat, sizeof(pat), "{\"id\": %u,", id);
	EXPECT_EQ(NULL, strstr(out, pat)) TH_LOG("uid 65534 sees VM %u: %s", id, out);
	free(out);
	rs_vm_free(vm);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void *run_forever(void *arg)
{
	struct rs_vcpu *vcpu = arg;

	/* Ends with EINTR when the test signals the thread, or the VM goes. */
	__rs_vcpu_run(vcpu);
	return NULL;
}

static void wake(int sig)
{
}

TEST(trace_prints_events)
{
	char cmd[128], pat[64], *out;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	pthread_t t;
	int status;
	uint32_t id;

	RS_REQUIRE_VM();
	RS_REQUIRE_ROOT();
	if (!have_launcher())
		SKIP(return, "no ringside launcher on PATH");
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_args_set(vcpu, 1, 1);
	rs_vcpu_expect_sync(vcpu, 1);
	id = rs_vm_id(vm);
	signal(SIGUSR1, wake);
	ASSERT_EQ(0, pthread_create(&t, NULL, run_forever, vcpu));

	snprintf(cmd, sizeof(cmd), "timeout 20 ringside trace --vm %u --count 3", id);
	out = run(cmd, &status);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	ASSERT_NE(NULL, out);
	snprintf(pat, sizeof(pat), " vm %u vcpu 0 ", id);
	if (!vm->svm && !strstr(out, pat))
		SKIP({ free(out); rs_vm_free(vm); return; },
		     "this backend does not count exits yet");
	EXPECT_EQ(0, status) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, pat)) TH_LOG("%s", out);
	EXPECT_EQ(3, count_lines(out)) TH_LOG("%s", out);
	free(out);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
