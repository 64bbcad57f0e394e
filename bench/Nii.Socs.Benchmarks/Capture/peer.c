/*
 * The capture benchmark's peer and stopwatch, compiled by the benchmark with gcc (no libpcap headers needed:
 * the few libpcap prototypes are declared below and the program links against the installed libpcap).
 *
 *   peer filter IN.pcap PROGRAM.bpf OUT.pcap
 *       libpcap reads IN, runs the raw BPF program (8-byte instructions: u16 code, u8 jt, u8 jf, u32 k, little
 *       endian) on every frame with pcap_offline_filter, and writes the matches with pcap_dump, as
 *       `tcpdump -r IN -w OUT FILTER` does. Prints "read N matched M".
 *   peer run RESULT COMMAND [ARGS...]
 *       runs COMMAND with stdout and stderr to /dev/null and writes "wall user sys maxrss_kib exit" to RESULT
 *       (wall clock from CLOCK_MONOTONIC, CPU and peak RSS from wait4).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct pcap pcap_t;
typedef struct pcap_dumper pcap_dumper_t;
struct pcap_pkthdr { struct timeval ts; unsigned int caplen; unsigned int len; };
struct bpf_insn { unsigned short code; unsigned char jt; unsigned char jf; unsigned int k; };
struct bpf_program { unsigned int bf_len; struct bpf_insn *bf_insns; };
pcap_t *pcap_open_offline(const char *, char *);
int pcap_next_ex(pcap_t *, struct pcap_pkthdr **, const unsigned char **);
int pcap_offline_filter(const struct bpf_program *, const struct pcap_pkthdr *, const unsigned char *);
pcap_dumper_t *pcap_dump_open(pcap_t *, const char *);
void pcap_dump(unsigned char *, const struct pcap_pkthdr *, const unsigned char *);
void pcap_dump_close(pcap_dumper_t *);
void pcap_close(pcap_t *);

static int filter(const char *in, const char *programPath, const char *out)
{
    char error[256] = {0};
    FILE *f = fopen(programPath, "rb");
    if (f == NULL) { perror(programPath); return 1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    struct bpf_program program;
    program.bf_len = (unsigned int)(size / 8);
    program.bf_insns = malloc((size_t)size);
    for (unsigned int i = 0; i < program.bf_len; i++) {
        unsigned char b[8];
        if (fread(b, 1, 8, f) != 8) { fprintf(stderr, "short program\n"); return 1; }
        program.bf_insns[i].code = (unsigned short)(b[0] | (b[1] << 8));
        program.bf_insns[i].jt = b[2];
        program.bf_insns[i].jf = b[3];
        program.bf_insns[i].k = (unsigned int)b[4] | ((unsigned int)b[5] << 8) | ((unsigned int)b[6] << 16) | ((unsigned int)b[7] << 24);
    }
    fclose(f);
    pcap_t *p = pcap_open_offline(in, error);
    if (p == NULL) { fprintf(stderr, "%s\n", error); return 1; }
    pcap_dumper_t *d = pcap_dump_open(p, out);
    if (d == NULL) { fprintf(stderr, "cannot write %s\n", out); return 1; }
    struct pcap_pkthdr *h;
    const unsigned char *data;
    long read = 0, matched = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        read++;
        if (pcap_offline_filter(&program, h, data)) {
            matched++;
            pcap_dump((unsigned char *)d, h, data);
        }
    }
    pcap_dump_close(d);
    pcap_close(p);
    printf("read %ld matched %ld\n", read, matched);
    return rc == -2 ? 0 : 1;
}

static int run(const char *result, char **argv)
{
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t child = fork();
    if (child == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    wait4(child, &status, 0, &usage);
    clock_gettime(CLOCK_MONOTONIC, &end);
    FILE *f = fopen(result, "w");
    if (f == NULL) { perror(result); return 1; }
    fprintf(f, "%.6f %.6f %.6f %ld %d\n",
        (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9,
        usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6,
        usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6,
        usage.ru_maxrss,
        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "filter") == 0) return filter(argv[2], argv[3], argv[4]);
    if (argc >= 4 && strcmp(argv[1], "run") == 0) return run(argv[2], argv + 3);
    fprintf(stderr, "usage: peer filter IN PROGRAM OUT | peer run RESULT COMMAND [ARGS...]\n");
    return 2;
}
