/*
 * notifylisten: a test helper that plays systemd's side of sd_notify.
 *
 *	notifylisten SOCKET_PATH SECONDS [FILE_TO_CHECK]
 *
 * Binds a Unix datagram socket at SOCKET_PATH and prints every line of
 * every notification received, as "MS LINE" (MS = milliseconds since it
 * started), until SECONDS have passed or STOPPING=1 arrived.  When a
 * READY=1 arrives it also prints "MS check FILE present|absent", so that
 * a test can see what existed at that moment.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long
ms_since(const struct timespec *t0)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((now.tv_sec - t0->tv_sec) * 1000LL +
	    (now.tv_nsec - t0->tv_nsec) / 1000000);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	struct timespec		 t0;
	struct stat		 st;
	char			 buf[4096], *line, *save;
	long long		 limit;
	ssize_t			 n;
	int			 fd, stopping = 0;

	if (argc < 3)
		errx(1, "usage: notifylisten socket seconds [file]");
	limit = atoll(argv[2]) * 1000;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(sun.sun_path))
		errx(1, "path too long");
	strcpy(sun.sun_path, argv[1]);
	unlink(argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "bind %s", argv[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	printf("0 listening\n");
	fflush(stdout);
	while (!stopping && ms_since(&t0) < limit) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(limit - ms_since(&t0))) <= 0)
			continue;
		if ((n = recv(fd, buf, sizeof(buf) - 1, 0)) <= 0)
			continue;
		buf[n] = '\0';
		for (line = strtok_r(buf, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			printf("%lld %s\n", ms_since(&t0), line);
			if (strcmp(line, "READY=1") == 0 && argc > 3)
				printf("%lld check %s %s\n", ms_since(&t0),
				    argv[3], stat(argv[3], &st) == 0 ?
				    "present" : "absent");
			if (strcmp(line, "STOPPING=1") == 0)
				stopping = 1;
		}
		fflush(stdout);
	}
	unlink(argv[1]);
	return (0);
}
