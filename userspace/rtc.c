// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the CMOS real-time clock and its RAM (Motorola
 * MC146818A datasheet; the PC's CMOS layout).
 *
 *   0x70  index (bit 7 is the NMI mask, kept but unused)
 *   0x71  data
 *
 * The clock is the host's UTC, in BCD and 24-hour mode as PC firmware
 * sets it; a guest that sets the time moves an offset from it.  Update
 * in progress (UIP) is never seen: the registers are computed at each
 * read.  There are no RTC interrupts (IRQ 8): no periodic, alarm or
 * update-ended interrupt is raised, which Linux needs only for
 * /dev/rtc's alarms.  The RAM bytes give the memory sizes that firmware
 * leaves there.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices.h"
#include "iobus.h"
#include "util.h"
#include "vm.h"

#define RTC_SECONDS		0x00
#define RTC_MINUTES		0x02
#define RTC_HOURS		0x04
#define RTC_WEEKDAY		0x06
#define RTC_DAY			0x07
#define RTC_MONTH		0x08
#define RTC_YEAR		0x09
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d
#define RTC_CENTURY		0x32	/* the ACPI FADT's CENTURY points here */

#define REG_A_DV_32K		0x20	/* 32.768 kHz time base */
#define REG_A_RS_1024		0x06	/* 1024 Hz rate (periodic: unused) */
#define REG_B_SET		0x80	/* updates stopped while being set */
#define REG_B_24H		0x02
#define REG_B_DM_BINARY		0x04
#define REG_B_WRITABLE		0x7f	/* all but SET, handled apart */
#define REG_D_VRT		0x80	/* the battery is good */

/* CMOS RAM bytes of the PC's layout (what firmware stores there). */
#define CMOS_BASE_MEM_LO	0x15	/* KiB below 1 MiB */
#define CMOS_EXT_MEM_LO		0x17	/* KiB from 1 MiB, up to 64 MiB */
#define CMOS_EXT_MEM2_LO	0x30
#define CMOS_MEM_16M_LO		0x34	/* 64 KiB units from 16 MiB */
#define CMOS_HIGH_MEM		0x5b	/* 64 KiB units from 4 GiB, 3 bytes */

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t ram[128];
	time_t offset;		/* guest time minus host time, seconds */
	struct tm set;		/* the time being set while REG_B_SET */
};

static uint8_t to_bcd(const struct rtc *r, unsigned int v)
{
	if (r->ram[RTC_REG_B] & REG_B_DM_BINARY)
		return v;
	return (v / 10) << 4 | (v % 10);
}

static unsigned int from_bcd(const struct rtc *r, uint8_t v)
{
	if (r->ram[RTC_REG_B] & REG_B_DM_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 15);
}

static void rtc_now(const struct rtc *r, struct tm *tm)
{
	time_t t = time(NULL) + r->offset;

	gmtime_r(&t, tm);
}

/* Hours: 12-hour mode keeps PM in bit 7 (datasheet, "Time, Calendar"). */
static uint8_t rtc_hours(const struct rtc *r, int hour)
{
	int h12;

	if (r->ram[RTC_REG_B] & REG_B_24H)
		return to_bcd(r, hour);
	h12 = hour % 12 ? hour % 12 : 12;
	return to_bcd(r, h12) | (hour >= 12 ? 0x80 : 0);
}

static uint8_t rtc_read_reg(struct rtc *r, uint8_t reg)
{
	struct tm tm;
	uint8_t val;

	if (r->ram[RTC_REG_B] & REG_B_SET)
		tm = r->set;
	else
		rtc_now(r, &tm);
	switch (reg) {
	case RTC_SECONDS:
		return to_bcd(r, tm.tm_sec);
	case RTC_MINUTES:
		return to_bcd(r, tm.tm_min);
	case RTC_HOURS:
		return rtc_hours(r, tm.tm_hour);
	case RTC_WEEKDAY:
		return to_bcd(r, tm.tm_wday + 1);
	case RTC_DAY:
		return to_bcd(r, tm.tm_mday);
	case RTC_MONTH:
		return to_bcd(r, tm.tm_mon + 1);
	case RTC_YEAR:
		return to_bcd(r, tm.tm_year % 100);
	case RTC_CENTURY:
		return to_bcd(r, (tm.tm_year + 1900) / 100);
	case RTC_REG_C:
		val = r->ram[RTC_REG_C];	/* flags clear on read */
		r->ram[RTC_REG_C] = 0;
		return val;
	default:
		return r->ram[reg];
	}
}

static void rtc_set_field(struct rtc *r, uint8_t reg, uint8_t val)
{
	struct tm *tm = &r->set;

	switch (reg) {
	case RTC_SECONDS:
		tm->tm_sec = from_bcd(r, val);
		break;
	case RTC_MINUTES:
		tm->tm_min = from_bcd(r, val);
		break;
	case RTC_HOURS:
		if (r->ram[RTC_REG_B] & REG_B_24H)
			tm->tm_hour = from_bcd(r, val);
		else
			tm->tm_hour = from_bcd(r, val & 0x7f) % 12 +
				      (val & 0x80 ? 12 : 0);
		break;
	case RTC_DAY:
		tm->tm_mday = from_bcd(r, val);
		break;
	case RTC_MONTH:
		tm->tm_mon = from_bcd(r, val) - 1;
		break;
	case RTC_YEAR:
		tm->tm_year = tm->tm_year / 100 * 100 + from_bcd(r, val);
		break;
	case RTC_CENTURY:
		tm->tm_year = (from_bcd(r, val) - 19) * 100 + tm->tm_year % 100;
		break;
	}
}

static void rtc_write_reg(struct rtc *r, uint8_t reg, uint8_t val)
{
	switch (reg) {
	case RTC_REG_B:
		/* SET stops the clock; clearing it starts it at the new time. */
		if ((val & REG_B_SET) && !(r->ram[RTC_REG_B] & REG_B_SET))
			rtc_now(r, &r->set);
		if (!(val & REG_B_SET) && (r->ram[RTC_REG_B] & REG_B_SET))
			r->offset = timegm(&r->set) - time(NULL);
		r->ram[RTC_REG_B] = val;
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;			/* read-only */
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		if (r->ram[RTC_REG_B] & REG_B_SET)
			rtc_set_field(r, reg, val);
		break;
	default:
		r->ram[reg] = val;
		break;
	}
}

static uint64_t rtc_io_read(void *dev, uint64_t offset, unsigned int size)
{
	struct rtc *r = dev;
	uint8_t val;

	(void)size;
	pthread_mutex_lock(&r->lock);
	val = offset ? rtc_read_reg(r, r->index) : 0xff;
	pthread_mutex_unlock(&r->lock);
	return val;
}

static void rtc_io_write(void *dev, uint64_t offset, unsigned int size,
			 uint64_t value)
{
	struct rtc *r = dev;

	(void)size;
	pthread_mutex_lock(&r->lock);
	if (offset)
		rtc_write_reg(r, r->index, value);
	else
		r->index = value & 0x7f;
	pthread_mutex_unlock(&r->lock);
}

static const struct io_ops rtc_ops = {
	.read = rtc_io_read,
	.write = rtc_io_write,
};

static void put16(uint8_t *p, uint64_t v)
{
	v = MIN(v, 0xffffULL);
	p[0] = v;
	p[1] = v >> 8;
}

/* The memory sizes firmware leaves in CMOS RAM. */
static void rtc_fill_ram(struct rtc *r, const struct vm *vm)
{
	uint64_t ext = vm->low_size > MiB ? (vm->low_size - MiB) / KiB : 0;
	uint64_t above16 = vm->low_size > 16 * MiB ?
			   (vm->low_size - 16 * MiB) / (64 * KiB) : 0;
	uint64_t high = vm->high_size / (64 * KiB);

	put16(&r->ram[CMOS_BASE_MEM_LO], 640);
	put16(&r->ram[CMOS_EXT_MEM_LO], ext);
	put16(&r->ram[CMOS_EXT_MEM2_LO], ext);
	put16(&r->ram[CMOS_MEM_16M_LO], above16);
	r->ram[CMOS_HIGH_MEM] = high;
	r->ram[CMOS_HIGH_MEM + 1] = high >> 8;
	r->ram[CMOS_HIGH_MEM + 2] = high >> 16;
}

struct rtc *rtc_create(struct vm *vm)
{
	struct rtc *r = calloc(1, sizeof(*r));

	if (!r) {
		pr_perror("rtc");
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->ram[RTC_REG_A] = REG_A_DV_32K | REG_A_RS_1024;
	r->ram[RTC_REG_B] = REG_B_24H;
	r->ram[RTC_REG_D] = REG_D_VRT;
	rtc_fill_ram(r, vm);
	if (iobus_register(&vm->pio, 0x70, 2, 1, "MC146818 RTC", &rtc_ops,
			   r) < 0) {
		rtc_destroy(r);
		return NULL;
	}
	return r;
}

void rtc_destroy(struct rtc *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}
