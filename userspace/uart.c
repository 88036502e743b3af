// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: a 16550A UART (National Semiconductor PC16550D
 * datasheet; register offsets and bits from its table "Register Summary"),
 * COM1 of a PC.
 *
 * Transmission is immediate: a byte written to THR goes straight to the
 * output, so LSR always says THR empty (THRE) and transmitter empty (TEMT).
 * Received bytes come from a reader thread into a 16-byte FIFO; LSR's data
 * ready (DR) bit says whether one is waiting.  The reader waits while the
 * FIFO is full, so input is never overrun.  Interrupt identification is
 * kept as the chip computes it, and its INTR output goes to the ISA line
 * given at creation through OUT2, as a PC wires it: with MCR's OUT2
 * clear the line stays low whatever IER enables.
 *
 * On a terminal, input is raw: every key goes to the guest (Ctrl-C too)
 * but Ctrl-A, QEMU's escape: Ctrl-A x ends the run, Ctrl-A Ctrl-A sends
 * Ctrl-A itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "devices.h"
#include "iobus.h"
#include "irq.h"
#include "util.h"
#include "vm.h"

/* Register offsets; DLAB is LCR bit 7. */
#define UART_RBR	0	/* read, DLAB 0: receiver buffer */
#define UART_THR	0	/* write, DLAB 0: transmitter holding */
#define UART_DLL	0	/* DLAB 1: divisor latch, low */
#define UART_IER	1	/* DLAB 0: interrupt enable */
#define UART_DLM	1	/* DLAB 1: divisor latch, high */
#define UART_IIR	2	/* read: interrupt identification */
#define UART_FCR	2	/* write: FIFO control */
#define UART_LCR	3	/* line control */
#define UART_MCR	4	/* modem control */
#define UART_LSR	5	/* line status */
#define UART_MSR	6	/* modem status */
#define UART_SCR	7	/* scratch */

#define UART_IER_RDI	0x01	/* received data available */
#define UART_IER_THRI	0x02	/* THR empty */
#define UART_IER_MASK	0x0f

#define UART_IIR_NO_INT	0x01
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_FIFO	0xc0	/* both bits set when FCR enabled the FIFOs */

#define UART_FCR_ENABLE	0x01
#define UART_FCR_CLR_RX	0x02

#define UART_LCR_DLAB	0x80

#define UART_MCR_DTR	0x01
#define UART_MCR_RTS	0x02
#define UART_MCR_OUT1	0x04
#define UART_MCR_OUT2	0x08
#define UART_MCR_LOOP	0x10
#define UART_MCR_MASK	0x1f

#define UART_LSR_DR	0x01
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40

#define UART_MSR_CTS	0x10
#define UART_MSR_DSR	0x20
#define UART_MSR_RI	0x40
#define UART_MSR_DCD	0x80

#define UART_FIFO_SIZE	16

#define ESCAPE_KEY	0x01	/* Ctrl-A */
#define ESCAPE_QUIT	'x'

struct uart {
	struct vm *vm;
	unsigned int irq;
	bool irq_level;			/* what the line was last set to */
	bool escape;			/* Ctrl-A seen on a terminal */
	pthread_mutex_t lock;
	pthread_cond_t rx_space;

	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	bool thr_ipending;		/* THRE interrupt not yet acknowledged */

	uint8_t rx[UART_FIFO_SIZE];
	unsigned int rx_head, rx_count;

	int in_fd, out_fd;
	/* Where input goes instead of the FIFO, if anywhere. */
	void (*sink)(void *dev, const uint8_t *buf, size_t len);
	void *sink_dev;
	int wake[2];			/* tells the reader to stop */
	pthread_t reader;
	bool reader_started;
	bool stopping;

	bool termios_saved;
	struct termios saved_termios;
};

static void rx_push(struct uart *u, uint8_t byte)
{
	if (u->rx_count == UART_FIFO_SIZE)
		return;		/* only loopback can get here: drop */
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
}

static uint8_t rx_pop(struct uart *u)
{
	uint8_t byte;

	if (!u->rx_count)
		return 0;
	byte = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	pthread_cond_signal(&u->rx_space);
	return byte;
}

/* The highest-priority pending interrupt, as IIR reports it. */
static uint8_t uart_iir(struct uart *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0;

	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return fifo | UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NO_INT;
}

/*
 * Modem status: in loopback the outputs come back as inputs (DTR->DSR,
 * RTS->CTS, OUT1->RI, OUT2->DCD), which drivers use to test the chip;
 * otherwise a connected terminal: carrier, data set ready, clear to send.
 */
static uint8_t uart_msr(struct uart *u)
{
	uint8_t msr = 0;

	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	if (u->mcr & UART_MCR_DTR)
		msr |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_RTS)
		msr |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_OUT1)
		msr |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		msr |= UART_MSR_DCD;
	return msr;
}

/* INTR reaches the interrupt line only through OUT2 (a PC's wiring). */
static void uart_update_irq(struct uart *u)
{
	bool level = (u->mcr & UART_MCR_OUT2) &&
		     !(uart_iir(u) & UART_IIR_NO_INT);

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	irq_set_line(u->vm, u->irq, level);
}

static uint8_t uart_read_reg(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t iir;

	switch (reg) {
	case UART_RBR:
		return dlab ? u->dll : rx_pop(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		iir = uart_iir(u);
		/* Reading IIR acknowledges a THRE interrupt. */
		if ((iir & 0x0f) == UART_IIR_THRI)
			u->thr_ipending = false;
		return iir;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT |
		       (u->rx_count ? UART_LSR_DR : 0);
	case UART_MSR:
		return uart_msr(u);
	default:
		return u->scr;
	}
}

static void uart_transmit(struct uart *u, uint8_t byte)
{
	if (u->mcr & UART_MCR_LOOP)
		rx_push(u, byte);
	else
		write_all(u->out_fd, &byte, 1);	/* a closed output loses it */
	u->thr_ipending = true;			/* THR is empty again at once */
}

static void uart_write_reg(struct uart *u, unsigned int reg, uint8_t val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_THR:
		if (dlab)
			u->dll = val;
		else
			uart_transmit(u, val);
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = val;
			break;
		}
		/* Enabling THRI with THR empty raises it at once. */
		if ((val & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
			u->thr_ipending = true;
		u->ier = val & UART_IER_MASK;
		break;
	case UART_FCR:
		if (val & UART_FCR_CLR_RX) {
			u->rx_count = 0;
			pthread_cond_signal(&u->rx_space);
		}
		u->fcr = val & 0xc9;	/* enable, DMA mode, trigger level */
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & UART_MCR_MASK;
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default:
		break;		/* LSR, MSR: factory test, ignored */
	}
}

static uint64_t uart_io_read(void *dev, uint64_t offset, unsigned int size)
{
	struct uart *u = dev;
	uint8_t val;

	(void)size;		/* max_size 1: the bus splits wider accesses */
	pthread_mutex_lock(&u->lock);
	val = uart_read_reg(u, offset);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return val;
}

static void uart_io_write(void *dev, uint64_t offset, unsigned int size,
			  uint64_t value)
{
	struct uart *u = dev;

	(void)size;
	pthread_mutex_lock(&u->lock);
	uart_write_reg(u, offset, value);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static const struct io_ops uart_ops = {
	.read = uart_io_read,
	.write = uart_io_write,
};

struct uart *uart_create(struct vm *vm, uint16_t base, unsigned int irq,
			 int in_fd, int out_fd)
{
	struct uart *u = calloc(1, sizeof(*u));

	if (!u) {
		pr_perror("uart");
		return NULL;
	}
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->rx_space, NULL);
	u->vm = vm;
	u->irq = irq;
	u->in_fd = in_fd;
	u->out_fd = out_fd;
	u->wake[0] = u->wake[1] = -1;
	if (iobus_register(&vm->pio, base, 8, 1, "16550A", &uart_ops, u) < 0) {
		uart_destroy(u);
		return NULL;
	}
	return u;
}

/* Wait for room in the FIFO; returns it, or 0 when stopping. */
static unsigned int uart_wait_rx_space(struct uart *u)
{
	unsigned int space;

	pthread_mutex_lock(&u->lock);
	while (!u->stopping && u->rx_count == UART_FIFO_SIZE)
		pthread_cond_wait(&u->rx_space, &u->lock);
	space = u->stopping ? 0 : UART_FIFO_SIZE - u->rx_count;
	pthread_mutex_unlock(&u->lock);
	return space;
}

void uart_set_input(struct uart *u,
		    void (*sink)(void *dev, const uint8_t *buf, size_t len),
		    void *dev)
{
	u->sink = sink;
	u->sink_dev = dev;
}

static void uart_take(struct uart *u, uint8_t byte)
{
	if (u->sink)
		u->sink(u->sink_dev, &byte, 1);
	else
		rx_push(u, byte);
}

/* A key from the input: Ctrl-A x ends the run when the input is a terminal. */
static void uart_input(struct uart *u, uint8_t byte)
{
	if (!u->termios_saved) {
		uart_take(u, byte);
		return;
	}
	if (u->escape) {
		u->escape = false;
		if (byte == ESCAPE_QUIT) {
			vm_request_stop(u->vm, STATUS_POWEROFF);
			return;
		}
		if (byte == ESCAPE_KEY)
			uart_take(u, byte);
		return;
	}
	if (byte == ESCAPE_KEY)
		u->escape = true;
	else
		uart_take(u, byte);
}

/*
 * Input: only this thread adds to the FIFO, so the room it saw can only
 * have grown by the time it pushes what it read.
 */
static void *uart_reader(void *arg)
{
	struct uart *u = arg;
	struct pollfd fds[2] = {
		{ .fd = u->in_fd, .events = POLLIN },
		{ .fd = u->wake[0], .events = POLLIN },
	};
	uint8_t buf[UART_FIFO_SIZE];
	unsigned int space, i;
	ssize_t n;

	for (;;) {
		space = uart_wait_rx_space(u);
		if (!space)
			break;
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents)
			break;
		n = read(u->in_fd, buf, space);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;		/* end of input: the guest sees none */
		pthread_mutex_lock(&u->lock);
		for (i = 0; i < (unsigned int)n; i++)
			uart_input(u, buf[i]);
		uart_update_irq(u);
		pthread_mutex_unlock(&u->lock);
	}
	return NULL;
}

/*
 * A terminal gives the guest its keys as typed, unechoed, CR as CR (a
 * serial line's Enter), Ctrl-C and Ctrl-Z too (no ISIG: Ctrl-A x ends the
 * run); output processing stays so that the guest's "\n" starts a new
 * line.
 */
static void uart_raw_terminal(struct uart *u)
{
	struct termios raw;

	if (!isatty(u->in_fd) || tcgetattr(u->in_fd, &u->saved_termios) < 0)
		return;
	raw = u->saved_termios;
	raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
			 ICRNL | IXON);
	raw.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(u->in_fd, TCSANOW, &raw) == 0)
		u->termios_saved = true;
}

int uart_start_input(struct uart *u)
{
	sigset_t all, old;
	int err;

	if (pipe2(u->wake, O_CLOEXEC) < 0) {
		pr_perror("uart: pipe");
		u->wake[0] = u->wake[1] = -1;
		return -1;
	}
	uart_raw_terminal(u);

	/* The reader takes no signals: they are the main thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&u->reader, NULL, uart_reader, u);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		errno = err;
		pr_perror("uart: cannot start the input thread");
		return -1;
	}
	u->reader_started = true;
	return 0;
}

void uart_destroy(struct uart *u)
{
	if (!u)
		return;
	if (u->reader_started) {
		pthread_mutex_lock(&u->lock);
		u->stopping = true;
		pthread_cond_signal(&u->rx_space);
		pthread_mutex_unlock(&u->lock);
		write_all(u->wake[1], "", 1);
		pthread_join(u->reader, NULL);
	}
	if (u->termios_saved)
		tcsetattr(u->in_fd, TCSANOW, &u->saved_termios);
	if (u->wake[0] >= 0)
		close(u->wake[0]);
	if (u->wake[1] >= 0)
		close(u->wake[1]);
	pthread_cond_destroy(&u->rx_space);
	pthread_mutex_destroy(&u->lock);
	free(u);
}
