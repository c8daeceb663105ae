/* The floor for `specsync check`: read every *.yaml file under a directory and run libyaml's event
 * parser over it, one thread, nothing else. Whatever specsync spends above this is its own work.
 * With --rewrite, the floor for `specsync fmt`: each file is then also written back (its own bytes:
 * no emitting) the least way that keeps Coldwine's protocol — `<file>.lock` created and flocked, a
 * temporary file created and written, renamed over the file, one syncfs per 256 files — so the kernel
 * work of a locked atomic replace is in the floor too.
 * Usage: floor [--rewrite] DIR   (prints the number of files and events; exit 1 on any error) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <yaml.h>

static unsigned char *buffer;
static size_t capacity;
static long files, events, errors;
static int rewrite;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)ftw;
    size_t len = strlen(path);
    if (type != FTW_F || len < 5 || strcmp(path + len - 5, ".yaml") != 0) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { errors++; return 0; }
    if ((size_t)st->st_size + 1 > capacity) {
        capacity = (size_t)st->st_size + 1;
        buffer = realloc(buffer, capacity);
    }
    size_t used = 0;
    ssize_t n;
    while ((n = read(fd, buffer + used, capacity - used)) > 0) used += (size_t)n;
    close(fd);
    yaml_parser_t parser;
    yaml_event_t event;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, buffer, used);
    for (;;) {
        if (!yaml_parser_parse(&parser, &event)) { errors++; break; }
        events++;
        int done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
        if (done) break;
    }
    yaml_parser_delete(&parser);
    files++;
    if (rewrite) {
        char lock[4096], temp[4096];
        snprintf(lock, sizeof lock, "%s.lock", path);
        snprintf(temp, sizeof temp, "%.*s.floor-tmp-%ld", (int)(len - 5), path, files);
        int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lfd < 0 || flock(lfd, LOCK_EX) != 0) { errors++; return 0; }
        int tfd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st->st_mode & 07777);
        if (tfd < 0 || write(tfd, buffer, used) != (ssize_t)used || close(tfd) != 0 || rename(temp, path) != 0) errors++;
        if (files % 256 == 0 && syncfs(lfd) != 0) errors++;
        close(lfd);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--rewrite") == 0) { rewrite = 1; argv++; argc--; }
    if (argc != 2) { fprintf(stderr, "usage: floor [--rewrite] DIR\n"); return 2; }
    if (nftw(argv[1], visit, 64, FTW_PHYS) != 0) { perror(argv[1]); return 2; }
    printf("%ld files, %ld events, %ld errors\n", files, events, errors);
    return errors ? 1 : 0;
}
