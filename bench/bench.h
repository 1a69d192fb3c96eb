/* `shadowcast bench NAME [--json] [options]`: each benchmark is one function. */
#ifndef SC_BENCH_H
#define SC_BENCH_H

int sc_bench_main(int argc, char **argv);

/* argv[0] is the benchmark name (as a program name for getopt); flags follow.
 * Return a process exit code. */
int sc_bench_sim(int argc, char **argv);
int sc_bench_ring(int argc, char **argv);
int sc_bench_pipeline(int argc, char **argv);
int sc_bench_shadow(int argc, char **argv);
int sc_bench_profile(int argc, char **argv);
int sc_bench_messages(int argc, char **argv);

#endif
