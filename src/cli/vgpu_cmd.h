/*
 * vgpu_cmd.h - the subcommands of the `vgpu` program (src/cli/vgpu.c
 * dispatches). Each takes the arguments after its name (argv[0] is the
 * subcommand's name), prints its result on stdout and its errors on stderr
 * prefixed "vgpu SUBCOMMAND: ", and returns the process exit status:
 * 0 success, 1 failure, 2 usage error.
 */
#ifndef VGPU_CMD_H
#define VGPU_CMD_H

int vgpu_cmd_discover(int argc, char **argv);
int vgpu_cmd_conf(int argc, char **argv);
int vgpu_cmd_request(int argc, char **argv);
int vgpu_cmd_show(int argc, char **argv);
int vgpu_cmd_cliquemap(int argc, char **argv);
int vgpu_cmd_metrics(int argc, char **argv);
int vgpu_cmd_weights(int argc, char **argv);
int vgpu_cmd_replay(int argc, char **argv);

#endif
