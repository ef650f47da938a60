/*
 * spank_option.c - --vgpu-request.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "spank_option.h"
#include "vgpu_request.h"

static char request[VGPU_REQUEST_TEXT_MAX + 1];
static int given;

static int option_cb(int val, const char *optarg, int remote)
{
	vgpu_err_t err;
	vgpu_request_t req;

	(void)val;
	(void)remote;
	if (!optarg || vgpu_request_parse(optarg, "--vgpu-request", &req, &err) != 0) {
		slurm_error("vgpu: %s", optarg ? err.msg : "--vgpu-request needs a value");
		return -1;
	}
	vgpu_request_format(&req, request, sizeof(request));
	given = 1;
	return 0;
}

int vgpu_spank_option_register(spank_t sp)
{
	struct spank_option opt = {
		.name = "vgpu-request",
		.arginfo = "REQUEST",
		.usage = "[vgpu] canonical GPU slice request (set by the cli_filter from "
			 "--gres=vgpu:REQUEST)",
		.has_arg = 1,
		.val = 0,
		.cb = option_cb,
	};

	return spank_option_register(sp, &opt) == ESPANK_SUCCESS ? 0 : -1;
}

const char *vgpu_spank_option_request(void)
{
	return given ? request : NULL;
}
