--[[
cli_filter.lua - slurm-vgpu's admission in the clients (sbatch, salloc, srun,
srun steps inside allocations). Install next to slurm.conf with
CliFilterPlugins=cli_filter/lua, with the two paths below filled in.

Slurm 22.05 clients check --gres names against GresTypes before anything is
sent, so `--gres=vgpu:mem=10G:cores=25` must be rewritten here, before that
check: the request goes to `vgpu request --slurm` (the core library's parser
and accounting), which prints the shard count, and --gres becomes
`shard:N`. A malformed or impossible request is refused with the parser's
message and nothing is submitted. The canonical request travels to the step
in VGPU_REQUEST (added to --export), where the SPANK plugin reads it (the
cores cap of memory accounting). doc/slurm-integration.md.
--]]

local VGPU = "@VGPU@"            -- the vgpu command
local VGPU_CONF = "@VGPU_CONF@"  -- vgpu.conf, the one the nodes use

local function shquote(s)
	return "'" .. string.gsub(s, "'", "'\\''") .. "'"
end

local function refuse(fmt, ...)
	slurm.log_error("vgpu: " .. fmt, ...)
	return slurm.ERROR
end

-- options["gres"] is "gres:NAME[:TYPE][:COUNT]" items joined by ','
-- (22.05; 23.11 writes "gres/"). Returns the vgpu request (or nil), the
-- other items, and the name of a GPU GRES among them (or nil).
local function split_gres(g)
	local req, others, gpuname, after_vgpu = nil, {}, nil, false
	for item in string.gmatch(g, "[^,]+") do
		item = string.gsub(item, "^gres[:/]", "")
		local name = string.match(item, "^[^:=]*")
		if name == "vgpu" then
			if req ~= nil then
				return nil, nil, nil, "--gres: vgpu given twice"
			end
			req = string.sub(item, 6)
			after_vgpu = true
		elseif after_vgpu and string.find(item, "^%a+=") then
			-- --gres=vgpu:mem=10G,cores=25: Slurm split the request at ','
			req = req .. "," .. item
		else
			after_vgpu = false
			table.insert(others, item)
			if name == "gpu" or name == "shard" or name == "mps" then
				gpuname = name
			end
		end
	end
	return req, others, gpuname, nil
end

local function set_or_nil(v)
	return v ~= nil and v ~= "" and v ~= "0"
end

function slurm_cli_setup_defaults(options, early)
	return slurm.SUCCESS
end

function slurm_cli_pre_submit(options, offset)
	local g = options["gres"]
	if g == nil or g == "" then
		return slurm.SUCCESS
	end
	local req, others, gpuname, err = split_gres(g)
	if err ~= nil then
		return refuse("%s", err)
	end
	if req == nil then
		return slurm.SUCCESS
	end
	if gpuname ~= nil then
		return refuse("--gres=vgpu cannot be combined with --gres=%s (a slice is part of one GPU)", gpuname)
	end
	for _, o in ipairs({ "gpus", "gpus-per-node", "gpus-per-task", "gpus-per-socket" }) do
		if set_or_nil(options[o]) then
			return refuse("--gres=vgpu cannot be combined with --%s (a slice is part of one GPU)", o)
		end
	end
	local cmd = VGPU .. " request --slurm --conf " .. shquote(VGPU_CONF) .. " -- " .. shquote(req) .. " 2>&1"
	local f = io.popen(cmd, "r")
	if f == nil then
		return refuse("cannot run %s", VGPU)
	end
	local out = f:read("*a") or ""
	f:close()
	local n, canon = string.match(out, "^ok (%d+) (%S+)")
	if n == nil then
		out = string.gsub(out, "^vgpu request: ", "")
		out = string.gsub(out, "%s+$", "")
		if out == "" then
			out = "no answer from " .. VGPU
		end
		return refuse("%s", out)
	end
	table.insert(others, "shard:" .. n)
	options["gres"] = table.concat(others, ",")
	-- The step learns its request from VGPU_REQUEST (':' separators: the
	-- export list is split at ',').
	local exp = options["export"]
	if exp == nil or exp == "" then
		exp = "ALL"
	end
	options["export"] = exp .. ",VGPU_REQUEST=" .. canon
	return slurm.SUCCESS
end

function slurm_cli_post_submit(offset, jobid, stepid)
	return slurm.SUCCESS
end
