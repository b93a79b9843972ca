-- wrk script: every request is a correctly signed TikTok Shop webhook with a
-- unique tts_notification_id, so shopsync performs a real durable enqueue
-- (dedupe marker + stream entry) for each one.
--
--   wrk -t2 -c64 -d20s --latency -s bench/webhook.lua http://127.0.0.1:PORT \
--       -- APP_KEY APP_SECRET RUN_ID [VECTORS_JSON]
--
-- Authorization = lowercase hex HMAC-SHA256(key = app_secret, msg = app_key
-- + body), computed here in pure Lua (LuaJIT's bit library). At init the
-- HMAC is checked against the webhook_signature vector of
-- tests/vectors/tiktok-shop.json; the script refuses to run on a mismatch.
-- Events are type 99, which the queue workers acknowledge without calling
-- TikTok, so the figure measures intake.

local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local rshift, lshift, ror, tobit, tohex = bit.rshift, bit.lshift, bit.ror, bit.tobit, bit.tohex
local byte, char, concat, format = string.byte, string.char, table.concat, string.format

local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}
for i = 1, 64 do K[i] = tobit(K[i]) end
local H0 = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 }
for i = 1, 8 do H0[i] = tobit(H0[i]) end

local W = {}

-- One SHA-256 compression of the 64 bytes of s at 1-based offset off into H.
local function compress(H, s, off)
  for i = 0, 15 do
    local a, b, c, d = byte(s, off + i * 4, off + i * 4 + 3)
    W[i] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
  end
  for i = 16, 63 do
    local w15, w2 = W[i - 15], W[i - 2]
    local s0 = bxor(ror(w15, 7), ror(w15, 18), rshift(w15, 3))
    local s1 = bxor(ror(w2, 17), ror(w2, 19), rshift(w2, 10))
    W[i] = tobit(W[i - 16] + s0 + W[i - 7] + s1)
  end
  local a, b, c, d, e, f, g, h = H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8]
  for i = 0, 63 do
    local S1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
    local ch = bxor(band(e, f), band(bnot(e), g))
    local t1 = h + S1 + ch + K[i + 1] + W[i]
    local S0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
    local maj = bxor(band(a, b), band(a, c), band(b, c))
    h, g, f, e, d, c, b, a = g, f, e, tobit(d + t1), c, b, a, tobit(t1 + S0 + maj)
  end
  H[1], H[2], H[3], H[4] = tobit(H[1] + a), tobit(H[2] + b), tobit(H[3] + c), tobit(H[4] + d)
  H[5], H[6], H[7], H[8] = tobit(H[5] + e), tobit(H[6] + f), tobit(H[7] + g), tobit(H[8] + h)
end

-- Finish a hash whose state H already absorbed `done` bytes (a multiple of
-- 64) with msg; returns the 8 state words (H is modified).
local function finish(H, done, msg)
  local total = done + #msg
  local zeros = (55 - total) % 64
  local bits = total * 8
  -- Messages here are far below 512 MiB, so the high length word is 0.
  local tail = char(0x80) .. string.rep("\0", zeros) .. char(
    0, 0, 0, 0, band(rshift(bits, 24), 0xff), band(rshift(bits, 16), 0xff), band(rshift(bits, 8), 0xff), band(bits, 0xff))
  local m = msg .. tail
  for off = 1, #m, 64 do compress(H, m, off) end
  return H
end

local function words_bytes(H)
  local t = {}
  for i = 1, 8 do
    local w = H[i]
    t[i] = char(band(rshift(w, 24), 0xff), band(rshift(w, 16), 0xff), band(rshift(w, 8), 0xff), band(w, 0xff))
  end
  return concat(t)
end

local function copy8(H)
  return { H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8] }
end

local function sha256_raw(msg)
  return words_bytes(finish(copy8(H0), 0, msg))
end

-- An HMAC-SHA256 signer for key: the key pads are absorbed once, so each
-- message costs only its own blocks plus two for the outer hash.
local function hmac_signer(key)
  if #key > 64 then key = sha256_raw(key) end
  key = key .. string.rep("\0", 64 - #key)
  local ipad, opad = {}, {}
  for i = 1, 64 do
    local k = byte(key, i)
    ipad[i] = char(bxor(k, 0x36))
    opad[i] = char(bxor(k, 0x5c))
  end
  local Hi, Ho = copy8(H0), copy8(H0)
  compress(Hi, concat(ipad), 1)
  compress(Ho, concat(opad), 1)
  return function(msg)
    local inner = words_bytes(finish(copy8(Hi), 64, msg))
    local H = finish(copy8(Ho), 64, inner)
    return tohex(H[1]) .. tohex(H[2]) .. tohex(H[3]) .. tohex(H[4]) ..
           tohex(H[5]) .. tohex(H[6]) .. tohex(H[7]) .. tohex(H[8])
  end
end

-- The webhook_signature vector, read from the JSON file with patterns (no
-- JSON library in wrk): app_key, app_secret, body, signature.
local function json_string_field(text, name)
  local v = text:match('"' .. name .. '"%s*:%s*"(.-[^\\])"')
  if not v then return nil end
  return (v:gsub('\\(.)', { ['"'] = '"', ['\\'] = '\\', ['/'] = '/', n = '\n', t = '\t', r = '\r' }))
end

local function self_check(path)
  local f = io.open(path, "rb")
  if not f then error("webhook.lua: cannot open the signature vectors " .. path) end
  local text = f:read("*a")
  f:close()
  local section = text:match('"webhook_signature"%s*:%s*%[(.-)%]')
  if not section then error("webhook.lua: no webhook_signature vector in " .. path) end
  local key, secret = json_string_field(section, "app_key"), json_string_field(section, "app_secret")
  local body, want = json_string_field(section, "body"), json_string_field(section, "signature")
  if not (key and secret and body and want) then error("webhook.lua: incomplete webhook_signature vector") end
  local got = hmac_signer(secret)(key .. body)
  if got ~= want then
    error("webhook.lua: Lua HMAC-SHA256 self-check FAILED: got " .. got .. ", want " .. want)
  end
  -- RFC 4231 case 2 as a second, independent check.
  local rfc = hmac_signer("Jefe")("what do ya want for nothing?")
  if rfc ~= "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" then
    error("webhook.lua: Lua HMAC-SHA256 self-check FAILED on RFC 4231 case 2: " .. rfc)
  end
end

-- Main state: give every thread its number.
local thread_no = 0
function setup(thread)
  thread_no = thread_no + 1
  thread:set("tid", thread_no)
end

local app_key, sign, run_id
local counter = 0
local shop_id = "7494726673780148744"

function init(args)
  app_key = args[1] or "sandbox_app_key"
  local secret = args[2] or "sandbox_app_secret"
  run_id = args[3] or tostring(os.time())
  self_check(args[4] or "tests/vectors/tiktok-shop.json")
  sign = hmac_signer(secret)
  wrk.method = "POST"
  wrk.path = "/api/tiktok/webhook"
end

function request()
  counter = counter + 1
  local body = format('{"type":99,"tts_notification_id":"bench-%s-%d-%d","shop_id":"%s","timestamp":%d,"data":{"bench":true}}',
                      run_id, tid or 0, counter, shop_id, os.time())
  return wrk.format("POST", "/api/tiktok/webhook", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = sign(app_key .. body),
  }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(format('WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
