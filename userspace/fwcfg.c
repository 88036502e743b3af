// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: QEMU's firmware configuration device, the traditional
 * (non-DMA) interface of QEMU's docs/specs/fw_cfg.txt on x86:
 *
 *   0x510  selector, 16-bit write: the item's key, little-endian; it also
 *          rewinds the item to its first byte;
 *   0x511  data, 8-bit read: the next byte of the item, 0 past its end or
 *          for a key that has no item.  Writes are ignored (as since QEMU
 *          2.4).
 *
 * QEMU decodes only those two accesses on the two ports; anything else
 * (a byte write to 0x510, a read of 0x510) is not the device's and reads
 * as all ones.  The DMA interface (0x514) is not there, and the ID item
 * says so.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "iobus.h"
#include "util.h"

#define FW_CFG_PORT		0x510
#define FW_CFG_SEL		0	/* offsets in the two-port range */
#define FW_CFG_DATA		1

/* Item keys (fw_cfg.txt, "Selector Register"). */
#define FW_CFG_SIGNATURE	0x0000
#define FW_CFG_ID		0x0001
#define FW_CFG_UUID		0x0002
#define FW_CFG_RAM_SIZE		0x0003
#define FW_CFG_NB_CPUS		0x0005
#define FW_CFG_MAX_CPUS		0x000f
#define FW_CFG_FILE_DIR		0x0019

#define FW_CFG_ID_TRADITIONAL	(1U << 0)	/* bit 1, DMA, is clear */

#define FW_CFG_MAX_ITEMS	32

struct fwcfg_item {
	uint16_t key;
	uint32_t len;
	uint8_t *data;
};

struct fwcfg {
	pthread_mutex_t lock;		/* the selection, across vCPUs */
	uint16_t selected;
	uint32_t offset;
	unsigned int nr_items;
	struct fwcfg_item items[FW_CFG_MAX_ITEMS];
};

static struct fwcfg_item *fwcfg_find(struct fwcfg *fw, uint16_t key)
{
	unsigned int i;

	for (i = 0; i < fw->nr_items; i++)
		if (fw->items[i].key == key)
			return &fw->items[i];
	return NULL;
}

int fwcfg_add(struct fwcfg *fw, uint16_t key, const void *data, uint32_t len)
{
	struct fwcfg_item *item;

	if (fwcfg_find(fw, key) || fw->nr_items == FW_CFG_MAX_ITEMS) {
		pr_err("fw_cfg: cannot add item %#x", key);
		return -1;
	}
	item = &fw->items[fw->nr_items];
	item->data = malloc(len ? len : 1);
	if (!item->data) {
		pr_perror("fw_cfg: item %#x", key);
		return -1;
	}
	memcpy(item->data, data, len);
	item->key = key;
	item->len = len;
	fw->nr_items++;
	return 0;
}

/* Numbers in the classic items are little-endian (fw_cfg.txt). */
static int fwcfg_add_le(struct fwcfg *fw, uint16_t key, uint64_t value,
			unsigned int len)
{
	uint8_t buf[8];
	unsigned int i;

	for (i = 0; i < len; i++, value >>= 8)
		buf[i] = value;
	return fwcfg_add(fw, key, buf, len);
}

static uint8_t fwcfg_read_data(struct fwcfg *fw)
{
	struct fwcfg_item *item = fwcfg_find(fw, fw->selected);
	uint8_t byte = 0;

	if (item && fw->offset < item->len)
		byte = item->data[fw->offset++];
	return byte;
}

static uint64_t fwcfg_io_read(void *dev, uint64_t offset, unsigned int size)
{
	struct fwcfg *fw = dev;
	uint8_t byte;

	if (offset != FW_CFG_DATA || size != 1)
		return ~0ULL;
	pthread_mutex_lock(&fw->lock);
	byte = fwcfg_read_data(fw);
	pthread_mutex_unlock(&fw->lock);
	return byte;
}

static void fwcfg_io_write(void *dev, uint64_t offset, unsigned int size,
			   uint64_t value)
{
	struct fwcfg *fw = dev;

	if (offset != FW_CFG_SEL || size != 2)
		return;
	pthread_mutex_lock(&fw->lock);
	fw->selected = value;
	fw->offset = 0;
	pthread_mutex_unlock(&fw->lock);
}

static const struct io_ops fwcfg_ops = {
	.read = fwcfg_io_read,
	.write = fwcfg_io_write,
};

/* The items QEMU's x86 machines always have, with this machine's values. */
static int fwcfg_add_machine(struct fwcfg *fw, uint64_t ram_size,
			     unsigned int nr_cpus)
{
	static const uint8_t uuid[16];		/* no -uuid: all zero */
	static const uint8_t no_files[4];	/* big-endian count 0 */

	if (fwcfg_add(fw, FW_CFG_SIGNATURE, "QEMU", 4) ||
	    fwcfg_add_le(fw, FW_CFG_ID, FW_CFG_ID_TRADITIONAL, 4) ||
	    fwcfg_add(fw, FW_CFG_UUID, uuid, sizeof(uuid)) ||
	    fwcfg_add_le(fw, FW_CFG_RAM_SIZE, ram_size, 8) ||
	    fwcfg_add_le(fw, FW_CFG_NB_CPUS, nr_cpus, 2) ||
	    fwcfg_add_le(fw, FW_CFG_MAX_CPUS, nr_cpus, 2) ||
	    fwcfg_add(fw, FW_CFG_FILE_DIR, no_files, sizeof(no_files)))
		return -1;
	return 0;
}

struct fwcfg *fwcfg_create(struct iobus *pio, uint64_t ram_size,
			   unsigned int nr_cpus)
{
	struct fwcfg *fw = calloc(1, sizeof(*fw));

	if (!fw) {
		pr_perror("fw_cfg");
		return NULL;
	}
	pthread_mutex_init(&fw->lock, NULL);
	if (fwcfg_add_machine(fw, ram_size, nr_cpus) < 0 ||
	    iobus_register(pio, FW_CFG_PORT, 2, 0, "fw_cfg", &fwcfg_ops,
			   fw) < 0) {
		fwcfg_destroy(fw);
		return NULL;
	}
	return fw;
}

void fwcfg_destroy(struct fwcfg *fw)
{
	unsigned int i;

	if (!fw)
		return;
	for (i = 0; i < fw->nr_items; i++)
		free(fw->items[i].data);
	pthread_mutex_destroy(&fw->lock);
	free(fw);
}
