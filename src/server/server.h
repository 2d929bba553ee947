/*
 * server.h - `coffer server`: configuration, storage, core and listeners
 * put together, and the process life cycle (signals, dev mode).
 */
#ifndef COFFER_SERVER_SERVER_H
#define COFFER_SERVER_SERVER_H

/* Runs the server; argv[0] is "server". Returns the exit code. */
int server_main(int argc, char **argv);

#endif
