--[[
cli_filter.lua - slurm-vgpu's admission in the clients (sbatch, salloc, srun,
srun steps inside allocations). Install next to slurm.conf with
CliFilterPlugins=cli_filter/lua, with the three paths below filled in.

Slurm 22.05 clients check --gres names against GresTypes before anything is
sent, so `--gres=vgpu:mem=10G:cores=25` must be rewritten here, before that
check: the request goes to `vgpu request --slurm` (the core library's parser
and accounting; in this process through vgpu_lua.so when that loads, else
by running vgpu), which prints the shard count, and --gres becomes
`shard:N`. A malformed or impossible request is refused with the parser's
message and nothing is submitted.

The canonical request reaches the steps in VGPU_REQUEST, where the SPANK
plugin reads it (the cores cap of memory accounting):
  - srun: added to --export (srun builds the step's environment itself;
    this costs nothing);
  - sbatch: NOT through --export: any --export other than ALL/NONE makes
    slurmd build the batch job's environment with a login shell (`su -
    USER`) per job, a quarter of the throughput. It goes in front of the
    job's comment as "[vgpu-request:CANONICAL]"; job_submit/vgpu removes it
    from the comment and puts VGPU_REQUEST into the batch environment;
  - salloc: nowhere (22.05's salloc has no --export, and its shell is local);
  - other clients (scrontab): --export, as srun.
GPU type placement: `vgpu request --slurm` also prints the node features the
job needs (vgpu_TYPE, written by `vgpu conf` into NodeName lines); they are
added to --constraint (AND-ed with the user's). doc/slurm-integration.md.
--]]

local VGPU = "@VGPU@"            -- the vgpu command
local VGPU_CONF = "@VGPU_CONF@"  -- vgpu.conf, the one the nodes use
local VGPU_LUA = "@VGPU_LUA@"    -- vgpu_lua.so: `vgpu request --slurm` in-process

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

-- The job's --constraint with the vgpu features added: FEATS is
-- "vgpu_a" or "vgpu_a|vgpu_b" ("-": none needed). Slurm 22.05 does not nest
-- parentheses, and brackets, counts and negation apply to the whole
-- expression, so a user constraint with ( ) [ ] * ! cannot be combined:
-- refused (nil, message).
local function add_constraint(user, feats)
	if feats == "-" then
		return user, nil
	end
	if user == nil or user == "" then
		return feats, nil
	end
	if string.find(user, "[%(%)%[%]%*!]") then
		return nil, string.format("--constraint '%s' cannot be combined with the GPU type " ..
			"constraint '%s' this slice needs (Slurm 22.05 cannot nest parentheses or " ..
			"combine brackets or counts with it): use a plain list of features joined " ..
			"by & or |", user, feats)
	end
	if string.find(user, "|", 1, true) then
		user = "(" .. user .. ")"
	end
	if string.find(feats, "|", 1, true) then
		feats = "(" .. feats .. ")"
	end
	return user .. "&" .. feats, nil
end

-- `vgpu request --slurm --conf VGPU_CONF -- REQ`: its output line. In this
-- process through vgpu_lua.so (src/cli/vgpu_lua.c) when it loads, else by
-- running vgpu (a shell and an exec: ~1.8 ms more per client). The module is
-- loaded on first use only, so jobs without --gres=vgpu never pay for it.
local lua_request = nil
local function vgpu_request(req)
	if lua_request == nil then
		lua_request = false
		if string.sub(VGPU_LUA, 1, 1) == "/" and package ~= nil and package.loadlib ~= nil then
			local fn = package.loadlib(VGPU_LUA, "vgpu_lua_request")
			if fn then
				lua_request = fn
			end
		end
	end
	if lua_request then
		local ok, out = pcall(lua_request, VGPU_CONF, req)
		if ok and type(out) == "string" then
			return out
		end
	end
	-- "exec": popen's sh runs vgpu in its own process (one fork less).
	local cmd = "exec " .. VGPU .. " request --slurm --conf " .. shquote(VGPU_CONF) .. " -- " .. shquote(req) .. " 2>&1"
	local f = io.popen(cmd, "r")
	if f == nil then
		return nil
	end
	local out = f:read("*a") or ""
	f:close()
	return out
end

-- The marker job_submit/vgpu takes off the comment again (plugins/job_submit).
local COMMENT_TAG = "[vgpu-request:"

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
	local out = vgpu_request(req)
	if out == nil then
		return refuse("cannot run %s", VGPU)
	end
	local n, canon, feats = string.match(out, "^ok (%d+) (%S+) (%S+)")
	if n == nil then
		out = string.gsub(out, "^vgpu request: ", "")
		out = string.gsub(out, "%s+$", "")
		if out == "" then
			out = "no answer from " .. VGPU
		end
		return refuse("%s", out)
	end
	local cons, cerr = add_constraint(options["constraint"], feats)
	if cerr ~= nil then
		return refuse("%s", cerr)
	end
	if cons ~= options["constraint"] then
		options["constraint"] = cons
	end
	table.insert(others, "shard:" .. n)
	options["gres"] = table.concat(others, ",")
	local client = options["type"]
	if client == "sbatch" then
		-- job_submit/vgpu moves it into the batch environment.
		options["comment"] = COMMENT_TAG .. canon .. "]" .. (options["comment"] or "")
	elseif client ~= "salloc" then
		-- srun (and scrontab, untested). ':' separators: the export list
		-- is split at ','.
		local exp = options["export"]
		if exp == nil or exp == "" then
			exp = "ALL"
		end
		options["export"] = exp .. ",VGPU_REQUEST=" .. canon
	end
	return slurm.SUCCESS
end

function slurm_cli_post_submit(offset, jobid, stepid)
	return slurm.SUCCESS
end
