// The fixed public keys jwt_fuzz verifies with (their private halves, in fuzz/keys/, sign the
// seed tokens). Test keys made for fuzzing only: never use them anywhere else.
#pragma once

namespace herald::fuzz {

inline constexpr const char* ec_public_pem = R"(
-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZEGtytmoZRz6Uk6NaYUUxlSMef9R
mVmCF0b+5obRRCgq8nJqL7Pzl9oV8CnBC3colEaxkJy5GC1KQACU7M/9FA==
-----END PUBLIC KEY-----
)";

inline constexpr const char* rsa_public_pem = R"(
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAw6Svv5z5bBOY7jW2xDOY
fwdf4ubO2i6d8fFhuPyQty8itVbT2rWO10rGoRen5Xyu5RLwZL9BodIsBXiYys35
7ifFrXN+imU1heZgJc6E+7GEaJC6U8CzEQppTYBBOdcgQqhoJCJs+FDdbB7Le4o0
3F4ff567E71YBGE+P9NN8OjxjdK+f9ojz6aH0lW6ze+cV2b/7TX2VdEora2bhaiI
VuKr4ZZEQIBd8D7U0bwgsAE4WsU/z2Zc2uw6Qa3l6tJj9CH2QRo8nx3AMjikLCvk
XJEqHoLv+ssKCQ0nTVr2uMtZpfxmgV/l0p9qOM2/zY71WvvCLLiZcCDbQhMc9NYv
wQIDAQAB
-----END PUBLIC KEY-----
)";

inline constexpr const char* hs_secret = "herald-fuzz-secret-0123456789abcdef";

}  // namespace herald::fuzz
