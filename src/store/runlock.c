/* runlock.c — the run lock of a results file (see runlock.h). */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include "runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* the lock this process holds (one `run` per process) */
static const hs_runlock *held;

typedef struct {
    char host[256];
    long pid;
    long long start;
    char job[64];
    long restart;
} holder;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void my_host(char *buf, size_t n)
{
    if (gethostname(buf, n) != 0) snprintf(buf, n, "?");
    buf[n - 1] = 0;
}

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    if (!v || !*v) return dflt;
    char *end;
    long x = strtol(v, &end, 10);
    return *end ? dflt : x;
}

double hs_runlock_wait_seconds(void)
{
    const char *v = getenv("HEADSWEEP_LOCK_WAIT");
    if (v && *v) {
        char *end;
        double w = strtod(v, &end);
        if (!*end && w >= 0 && w <= 86400) return w;
    }
    return env_long("SLURM_RESTART_COUNT", 0) > 0 ? 120 : 0;
}

/* A whole-file write lock without waiting: 0 taken, else errno. An
 * open-file-description lock where the kernel has one (Linux >= 3.15): it
 * belongs to this descriptor, not to the process, so no other close() of
 * the file in this process can drop it; on NFS both kinds are the same
 * protocol locks. */
static int try_lock(int fd)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
#ifdef F_OFD_SETLK
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0) return 0;
    if (errno != EINVAL) return errno;
    fl.l_pid = 0;
#endif
    return fcntl(fd, F_SETLK, &fl) == 0 ? 0 : errno;
}

/* The holder text of fd ("" fields when empty or foreign); 1 when it named one. */
static int read_holder(int fd, holder *h)
{
    memset(h, 0, sizeof *h);
    char buf[1024];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    buf[n] = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        const char *k = line, *v = eq + 1;
        if (!strcmp(k, "host")) snprintf(h->host, sizeof h->host, "%s", v);
        else if (!strcmp(k, "pid")) h->pid = strtol(v, NULL, 10);
        else if (!strcmp(k, "start")) h->start = strtoll(v, NULL, 10);
        else if (!strcmp(k, "slurm_job")) snprintf(h->job, sizeof h->job, "%s", v);
        else if (!strcmp(k, "slurm_restart")) h->restart = strtol(v, NULL, 10);
    }
    for (char *p = h->host; *p; p++) /* a line of the message: printable only */
        if (*p < 0x21 || *p > 0x7e) *p = '?';
    for (char *p = h->job; *p; p++)
        if (*p < 0x21 || *p > 0x7e) *p = '?';
    return h->host[0] && h->pid > 0;
}

/* "headsweep run (pid 4242 on node17, Slurm job 81723, since 12:41:07)" */
static void describe(const holder *h, char *buf, size_t n)
{
    char when[40] = "?";
    time_t t = (time_t)h->start, now = time(NULL);
    struct tm a, b;
    localtime_r(&t, &a);
    localtime_r(&now, &b);
    strftime(when, sizeof when, a.tm_yday == b.tm_yday && a.tm_year == b.tm_year ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S",
             &a);
    char job[96] = "";
    if (h->job[0]) snprintf(job, sizeof job, ", Slurm job %s", h->job);
    snprintf(buf, n, "headsweep run (pid %ld on %s%s, since %s)", h->pid, h->host, job, when);
}

static hs_status write_holder(hs_runlock *lk)
{
    char host[256], text[1024];
    my_host(host, sizeof host);
    const char *job = getenv("SLURM_JOB_ID");
    int len = snprintf(text, sizeof text,
                       "headsweep run lock: the process below writes the results file next to this one\n"
                       "host=%s\npid=%ld\nstart=%lld\nslurm_job=%s\nslurm_restart=%ld\n",
                       host, (long)getpid(), (long long)time(NULL), job ? job : "",
                       env_long("SLURM_RESTART_COUNT", 0));
    if (ftruncate(lk->fd, 0) != 0 || pwrite(lk->fd, text, (size_t)len, 0) != len)
        return hs_error_set(HS_ERR_IO, "cannot write the lock file %s: %s", lk->path, strerror(errno));
    fsync(lk->fd); /* best effort: the text is for messages, the lock is the kernel's */
    return HS_OK;
}

/* The lock is free, the file's text names `old` (a run that did not
 * release it): 0 take it over, else refuse with the message set. */
static hs_status stale(const hs_runlock *lk, const char *results, const holder *old)
{
    char host[256], who[512];
    my_host(host, sizeof host);
    describe(old, who, sizeof who);
    if (!strcmp(old->host, host)) {
        /* this host's kernel says nobody holds it: the writer is gone */
        const int alive = kill((pid_t)old->pid, 0) == 0 || errno == EPERM;
        fprintf(stderr, "headsweep: %s: taking over the lock of %s, %s\n", lk->path, who,
                alive ? "which no longer holds it" : "which is no longer running");
        return HS_OK;
    }
    const char *job = getenv("SLURM_JOB_ID");
    if (job && *job && !strcmp(job, old->job) && env_long("SLURM_RESTART_COUNT", 0) > old->restart) {
        fprintf(stderr, "headsweep: %s: taking over the lock of %s, an earlier run of this requeued job\n",
                lk->path, who);
        return HS_OK;
    }
    return hs_error_set(HS_ERR_INPUT,
                        "%s.lock names %s, another host, and file locks may not reach across this file system: "
                        "if that run has ended, remove %s.lock and run again",
                        results, who, results);
}

hs_status hs_runlock_take(hs_runlock *lk, const char *results, double wait_s)
{
    lk->fd = -1;
    snprintf(lk->path, sizeof lk->path, "%s.lock", results);
    const double t0 = now_s();
    int said = 0;
    for (;;) {
        int fd = open(lk->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return hs_error_set(HS_ERR_IO, "cannot create the lock file %s: %s", lk->path, strerror(errno));
        const int e = try_lock(fd);
        holder h;
        if (e == 0) {
            /* removed or replaced by hand meanwhile: lock the file that is there now */
            struct stat a, b;
            if (fstat(fd, &a) != 0 || stat(lk->path, &b) != 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
                close(fd);
                continue;
            }
            lk->fd = fd;
            hs_status s = read_holder(fd, &h) ? stale(lk, results, &h) : HS_OK;
            if (s == HS_OK) s = write_holder(lk);
            if (s != HS_OK) {
                close(fd); /* releases it; the stale text stays as it was */
                lk->fd = -1;
                return s;
            }
            held = lk;
            return HS_OK;
        }
        if (e != EAGAIN && e != EACCES) {
            close(fd);
            return hs_error_set(HS_ERR_IO,
                                "cannot lock %s: %s (this file system has no file locks? see docs/cluster.md)",
                                lk->path, strerror(e));
        }
        /* held: the holder writes its text right after locking; give it a moment */
        int named = read_holder(fd, &h);
        for (int i = 0; i < 20 && !named; i++) {
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
            named = read_holder(fd, &h);
        }
        close(fd);
        char who[512] = "headsweep run (a process that has just started)";
        if (named) describe(&h, who, sizeof who);
        const double waited = now_s() - t0;
        if (wait_s <= 0)
            return hs_error_set(HS_ERR_INPUT, "%s is being written by %s; wait for it, or stop it, and run again",
                                results, who);
        if (waited >= wait_s)
            return hs_error_set(HS_ERR_INPUT,
                                "%s is still being written by %s after waiting %.0f s; wait for it, or stop it, "
                                "and run again",
                                results, who, wait_s);
        if (!said) {
            fprintf(stderr, "headsweep: %s is being written by %s; waiting up to %.0f s for it to end\n", results,
                    who, wait_s);
            said = 1;
        }
        struct timespec ts = {0, 250000000};
        if (nanosleep(&ts, NULL) != 0 && errno == EINTR) /* SIGTERM, SIGUSR1: stop waiting */
            return hs_error_set(HS_ERR_INPUT, "%s is being written by %s; stopped by a signal while waiting for it",
                                results, who);
    }
}

void hs_runlock_release(hs_runlock *lk)
{
    if (!lk || lk->fd < 0) return;
    /* emptied first: a free lock with no text is a clean end, not a crash */
    if (ftruncate(lk->fd, 0) == 0) fsync(lk->fd);
    close(lk->fd);
    lk->fd = -1;
    if (held == lk) held = NULL;
}

int hs_runlock_held(const char *results)
{
    if (!held || held->fd < 0) return 0;
    char path[4200];
    snprintf(path, sizeof path, "%s.lock", results);
    struct stat a, b;
    return fstat(held->fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}
