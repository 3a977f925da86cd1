// Shared key material for the auth unit tests: keys generated once for these tests only (never
// used anywhere else), the RFC 7515 Appendix A example keys and tokens, and helpers that put PEM
// text into files for the loaders that read files.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "lib/auth/key_set.hpp"

namespace herald::auth::test_keys {

// ---- RFC 7515 Appendix A -------------------------------------------------------------------

// The JWS Payload of every Appendix A example (note the CRLFs): {"iss":"joe", ... "exp":1300819380 ...}.
inline constexpr std::string_view rfc7515_payload =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
inline constexpr std::int64_t rfc7515_exp_ms = 1'300'819'380'000;
inline constexpr std::string_view rfc7515_payload_b64 =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

// A.1: HS256. The JWK "k" member (base64url of the HMAC secret) and the compact serialization.
inline constexpr std::string_view rfc7515_a1_jwk_k =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
inline constexpr std::string_view rfc7515_a1_header = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
inline constexpr std::string_view rfc7515_a1_token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

// A.2: RS256. The compact serialization; the key is rfc7515_a2_public_pem below.
inline constexpr std::string_view rfc7515_a2_token =
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t"
    "1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jz"
    "DwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQ"
    "Ge77Rw";

// A.3: ES256. The compact serialization (ECDSA is randomized: this exact signature is the RFC's).
inline constexpr std::string_view rfc7515_a3_token =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

// RFC 7515 A.2 RSA public key: the JWK "n"/"e" (e = AQAB, 2048 bits) as a PUBLIC KEY block.
inline constexpr std::string_view rfc7515_a2_public_pem = R"PEM(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAofgWCuLjybRlzo0tZWJj
NiuSfb4p4fAkd/wWJcyQoTbji9k0l8W26mPddxHmfHQp+Vaw+4qPCJrcS2mJPMEz
P1Pt0Bm4d4QlL+yRT+SFd2lZS+pCgNMsD1W/YpRPEwOWvG6b32690r2jZ47soMZo
9wGzjb/7OMg0LOL+bSf63kpaSHSXndS5z5rexMdbBYUsLA9e+KXBdQOS+UTo7WTB
EMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6/I5IhlJH7aGhyxX
FvUK+DWNmoudF8NAco9/h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXp
oQIDAQAB
-----END PUBLIC KEY-----
)PEM";
// RFC 7515 A.3 EC P-256 public key: the JWK "x"/"y" as a PUBLIC KEY block.
inline constexpr std::string_view rfc7515_a3_public_pem = R"PEM(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7
6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==
-----END PUBLIC KEY-----
)PEM";

// ---- Keys generated for these tests -----------------------------------------------------------

// RSA 2048 (key "A"), PKCS#8.
inline constexpr std::string_view rsa_private_pem = R"PEM(-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC8EYiIuEUe+wGX
9FOGZF2nE4QxmiZ9E14Y2KKR2M3pN9WL/LH4znbkXi+04KWu8tHDBk64FBeiOgqu
BpLnJw6y69qO/W70qkKjIZGx/fIrfTY8HFRFeOK62OzLBUuGhfa5jU+BgJNanROs
oceDAwRixtVj+54r2c7gsmAvWCYagytqwcz7rZ6EEzlbIZvbEQhCesURxoQG0CE8
c3y1bQDOh+gMVHsKIiERnDvRIe2mp8qeZNAt0usxUCWMIEyBCuC3r6uK6ig7ZB52
/YNUvBLlTRv+mYc0FUi/Eg5oOwLJgj9FJbo3F4F5vrVgyML/vYWxi3+rMs1Mi/Kh
J1iQalsFAgMBAAECggEAPgt2xMwuGZNrqirz51FzSCx7HzYg3oCmOYI21/Dzta4y
6FT8jf3nYV3lVUILxxTauQF6tOYECgQmA9WtX08WXVbMKwJXOaZ2B4WKoHMMEubj
Hp+l+alw+32XWT8s9Ht7syl4glvdwTYzCG/y9zjmmIPKYIrhWswnoR+X9eaZ44Kz
yRUyDMCrU7GDZeUxaUB+k3XmLGoB6pAQjDPnA596XnCWaXDHFzjPsVWrA+XVBX8g
I1z1xkWKyQuhqlnoTWbedGdwgf0W4WsDkNvksOZh+zOOFQnDfY5m082uuGAXitXE
NvX0Yi27uulENPqRAf6MqLUFzcmW3bS0yMgVfOzKHQKBgQDkjVeecvihx3uuNXXC
B1MbUGKAiHTzICw7+YGub56jm1KKKloPyoLhkveqqSv3R+JBK2Xdnc5XitHjZTjJ
yQQ0KHDS/uZQa5FJt8PIdQakPDlMxefUEYJmqs2sGy2RtrUxMPM+qFn+vGwoTici
TiewHoxqIP5AibfTWg7m8F55owKBgQDSp42kW5xGiIIZf6ywG7t2/iSD1MZkB/iT
jFNeGliiujx5AjSSiOcw4coh3K6EyzQnWKBUaIzeyD69B/6IR7fp78fyPENkRIwA
l9/nE4hzxMD1kLeQ+M1kvyogtG7IOB47Vf3xZyURQQvZ2r9k/PFE/SAKpiTRcYCb
QIyhQj5zNwKBgFru7YyKW+gqMUhX1tlzBprYeciAAl/1TgQyumkH2gtoMgfs39Zm
kXpkegu5sVd6j0e0l5v8PGvSPL4HuPd39ic2a+VXK5WVpsG4zrnD7feMSpQELb/P
k517mcc/LPtLwX2n5y/n1Z6nozTKG4HnrJzDGsTjCaXt5Wi+7SzvN/eXAoGBAJ+e
PHKMxBah+0rM9pIfAWaB3jNSd912OMG8s7L7bawoSAg9Ro6+U8gzXpFYAZk3zFYA
DsTGz+9Ddl6P/ytOhKoreaswRLRmSFtuuUcEAwIN1VR9isq77A5p18ceUU8/TpER
cLGJwYmYax1xZlNkYoEu+Cd5iy50vclmGOlcI6vzAoGBANJNc6aI6LKj9sAPlpkQ
y9XEcItjIY5I5RDWueHhZHdKbp2EADFEU8gxOuKZwUlzlKdgq5Q6trgZ73//iMjI
N3+YDcYL5hi5ZEIp6hQDebqfCzq/QFHP5JLS9PFmkqv9otM/clPc0m7uun/KZzZg
tsevNDAlloi/LTdi6bYkBZ+O
-----END PRIVATE KEY-----
)PEM";
// The same RSA key "A" in the traditional PKCS#1 "RSA PRIVATE KEY" form.
inline constexpr std::string_view rsa_private_traditional_pem = R"PEM(-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAvBGIiLhFHvsBl/RThmRdpxOEMZomfRNeGNiikdjN6TfVi/yx
+M525F4vtOClrvLRwwZOuBQXojoKrgaS5ycOsuvajv1u9KpCoyGRsf3yK302PBxU
RXjiutjsywVLhoX2uY1PgYCTWp0TrKHHgwMEYsbVY/ueK9nO4LJgL1gmGoMrasHM
+62ehBM5WyGb2xEIQnrFEcaEBtAhPHN8tW0AzofoDFR7CiIhEZw70SHtpqfKnmTQ
LdLrMVAljCBMgQrgt6+riuooO2Qedv2DVLwS5U0b/pmHNBVIvxIOaDsCyYI/RSW6
NxeBeb61YMjC/72FsYt/qzLNTIvyoSdYkGpbBQIDAQABAoIBAD4LdsTMLhmTa6oq
8+dRc0gsex82IN6ApjmCNtfw87WuMuhU/I3952Fd5VVCC8cU2rkBerTmBAoEJgPV
rV9PFl1WzCsCVzmmdgeFiqBzDBLm4x6fpfmpcPt9l1k/LPR7e7MpeIJb3cE2Mwhv
8vc45piDymCK4VrMJ6Efl/XmmeOCs8kVMgzAq1Oxg2XlMWlAfpN15ixqAeqQEIwz
5wOfel5wlmlwxxc4z7FVqwPl1QV/ICNc9cZFiskLoapZ6E1m3nRncIH9FuFrA5Db
5LDmYfszjhUJw32OZtPNrrhgF4rVxDb19GItu7rpRDT6kQH+jKi1Bc3Jlt20tMjI
FXzsyh0CgYEA5I1XnnL4ocd7rjV1wgdTG1BigIh08yAsO/mBrm+eo5tSiipaD8qC
4ZL3qqkr90fiQStl3Z3OV4rR42U4yckENChw0v7mUGuRSbfDyHUGpDw5TMXn1BGC
ZqrNrBstkba1MTDzPqhZ/rxsKE4nIk4nsB6MaiD+QIm301oO5vBeeaMCgYEA0qeN
pFucRoiCGX+ssBu7dv4kg9TGZAf4k4xTXhpYoro8eQI0kojnMOHKIdyuhMs0J1ig
VGiM3sg+vQf+iEe36e/H8jxDZESMAJff5xOIc8TA9ZC3kPjNZL8qILRuyDgeO1X9
8WclEUEL2dq/ZPzxRP0gCqYk0XGAm0CMoUI+czcCgYBa7u2MilvoKjFIV9bZcwaa
2HnIgAJf9U4EMrppB9oLaDIH7N/WZpF6ZHoLubFXeo9HtJeb/Dxr0jy+B7j3d/Yn
NmvlVyuVlabBuM65w+33jEqUBC2/z5Ode5nHPyz7S8F9p+cv59Wep6M0yhuB56yc
wxrE4wml7eVovu0s7zf3lwKBgQCfnjxyjMQWoftKzPaSHwFmgd4zUnfddjjBvLOy
+22sKEgIPUaOvlPIM16RWAGZN8xWAA7Exs/vQ3Zej/8rToSqK3mrMES0ZkhbbrlH
BAMCDdVUfYrKu+wOadfHHlFPP06REXCxicGJmGsdcWZTZGKBLvgneYsudL3JZhjp
XCOr8wKBgQDSTXOmiOiyo/bAD5aZEMvVxHCLYyGOSOUQ1rnh4WR3Sm6dhAAxRFPI
MTrimcFJc5SnYKuUOra4Ge9//4jIyDd/mA3GC+YYuWRCKeoUA3m6nws6v0BRz+SS
0vTxZpKr/aLTP3JT3NJu7rp/ymc2YLbHrzQwJZaIvy03Yum2JAWfjg==
-----END RSA PRIVATE KEY-----
)PEM";
// The public half of RSA key "A".
inline constexpr std::string_view rsa_public_pem = R"PEM(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvBGIiLhFHvsBl/RThmRd
pxOEMZomfRNeGNiikdjN6TfVi/yx+M525F4vtOClrvLRwwZOuBQXojoKrgaS5ycO
suvajv1u9KpCoyGRsf3yK302PBxURXjiutjsywVLhoX2uY1PgYCTWp0TrKHHgwME
YsbVY/ueK9nO4LJgL1gmGoMrasHM+62ehBM5WyGb2xEIQnrFEcaEBtAhPHN8tW0A
zofoDFR7CiIhEZw70SHtpqfKnmTQLdLrMVAljCBMgQrgt6+riuooO2Qedv2DVLwS
5U0b/pmHNBVIvxIOaDsCyYI/RSW6NxeBeb61YMjC/72FsYt/qzLNTIvyoSdYkGpb
BQIDAQAB
-----END PUBLIC KEY-----
)PEM";
// A self-signed certificate (CN=herald-test, valid 2024-2124) for RSA key "A".
inline constexpr std::string_view rsa_cert_pem = R"PEM(-----BEGIN CERTIFICATE-----
MIICpzCCAY+gAwIBAgIBATANBgkqhkiG9w0BAQsFADAWMRQwEgYDVQQDDAtoZXJh
bGQtdGVzdDAgFw0yNDAxMDEwMDAwMDBaGA8yMTI0MDEwMTAwMDAwMFowFjEUMBIG
A1UEAwwLaGVyYWxkLXRlc3QwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIB
AQC8EYiIuEUe+wGX9FOGZF2nE4QxmiZ9E14Y2KKR2M3pN9WL/LH4znbkXi+04KWu
8tHDBk64FBeiOgquBpLnJw6y69qO/W70qkKjIZGx/fIrfTY8HFRFeOK62OzLBUuG
hfa5jU+BgJNanROsoceDAwRixtVj+54r2c7gsmAvWCYagytqwcz7rZ6EEzlbIZvb
EQhCesURxoQG0CE8c3y1bQDOh+gMVHsKIiERnDvRIe2mp8qeZNAt0usxUCWMIEyB
CuC3r6uK6ig7ZB52/YNUvBLlTRv+mYc0FUi/Eg5oOwLJgj9FJbo3F4F5vrVgyML/
vYWxi3+rMs1Mi/KhJ1iQalsFAgMBAAEwDQYJKoZIhvcNAQELBQADggEBAI9AxlVc
0N0H42SdW2T+bquewJnGuf/1e7cPDsU6/HjZUMlk8dC56+eAJez/n1FLuqFw7eq8
RZOhUXMw5RLJAMVtjcVMxlMKgwXVgh+ZNIp/SSeTh2T/AbqXSBkdZi672+7k6ffx
GuO00VIGKxWi7XUFIjcrN7+3zkbDNMc1Q/L2DF9peh5byJurORO6yiPJF+C/+WHc
03hHbQ42osX81SVuGmudGMEzJNjt823YibDBiUmP0So2/tK8ltB4/FtME1KW8bPT
Vl1c67BeN09Z2HVfrYmSme5l6RjJUUojQ0Iw1xmb9MyfJsLpmVHdtpTQ8Xiw1Vok
4TFiZTI1FLvTmSo=
-----END CERTIFICATE-----
)PEM";
// The public half of RSA key "A" as a PKCS#1 "RSA PUBLIC KEY" block (not a form herald reads).
inline constexpr std::string_view rsa_public_pkcs1_pem = R"PEM(-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAvBGIiLhFHvsBl/RThmRdpxOEMZomfRNeGNiikdjN6TfVi/yx+M52
5F4vtOClrvLRwwZOuBQXojoKrgaS5ycOsuvajv1u9KpCoyGRsf3yK302PBxURXji
utjsywVLhoX2uY1PgYCTWp0TrKHHgwMEYsbVY/ueK9nO4LJgL1gmGoMrasHM+62e
hBM5WyGb2xEIQnrFEcaEBtAhPHN8tW0AzofoDFR7CiIhEZw70SHtpqfKnmTQLdLr
MVAljCBMgQrgt6+riuooO2Qedv2DVLwS5U0b/pmHNBVIvxIOaDsCyYI/RSW6NxeB
eb61YMjC/72FsYt/qzLNTIvyoSdYkGpbBQIDAQAB
-----END RSA PUBLIC KEY-----
)PEM";
// RSA 2048 (key "B"), PKCS#8: a second key for rotation tests.
inline constexpr std::string_view rsa2_private_pem = R"PEM(-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCr31pTnBFS+oPd
B8cee9ByJfyyQi78ViiPBpTMu7Shra97N7A3/PshtLz/XEiBpVGzKs+w1zAZKnpc
hXGl08m4wskHyYIokSboNnsAfTunDITtNK5mzhdgs3g410Qz9w0cI01Wzjo1SfoW
1G/5lOYuAPWx33CWXXLIFs6RPySITEaEgfKVFlyVCrfEBKmMSguObTYh8meYF5tt
Nvtwxb0/OyMooCvHhWlR6b4iyDC1yXKk8hSpCzNjTHmgcgURRNo9CR79N+oHVZX9
d4YHSpRTsWAovFTDgNYcG5kY71CJa05iR1VTFpkkkSuxG6RQl8L+FaHLFLkMknAr
FWTnAuAVAgMBAAECggEAAUBo4rt798/5tloYZd0udSpYJv8q4u0IshPw8PW7+MJw
SPQsnRfDR2lOyAhGweTvjZ+17/p9L+26guJ446WBbk5C0wLxZvS5pQ7Cggwna03A
yQ5tZ7PAAVUFPtq4dS1rI8WRCl0JmPo/LzvgTd+69mJM57zyD7JCA/mAixe73x82
AZjsf8c1LQraI7zDLzhpTbOefE9dXRvypywx9ToA1GB0y7bmoB6pnzMyjC+BdACq
q9bBvgyVJ3JBU9L+aNXS4O3SlouGodTSIbKOoI88x6At1fQgcEOK18oskpnN8v/j
jTOm1BOozMGzlPHIJYsck/RC+DlJxDy0B+fjPd4t8QKBgQDmwMTk21+S+4osDbqf
5JwERoXA69QAb5UpP8xS0DyG+08mdzFaLZA4tF/Pv6uaH77Ht7gzzSoz6sAIo1IZ
mVjfJpFONf4NaH71cWzC6u0zfQay/YpME/IPwfMR1o8OGpSZdg+sJX+nYOnCXtbN
rYH2UXoifQhuL9UvR7nHWgSKpQKBgQC+rWGLZ4hpt4ad5uL0nDrShLGVKmXrh9Kh
2lrmFm6hNWts2DeFSVef/lKuwGr2mTIiaIEK79Hembhp+RA9GAxRlPO3XrMg9Gui
R9ExR548TV5krsTu3OTx5CPGRhAKNyOnVHCA9YqsWDzjJDYJ0tIlrrR7J9MrmmAL
Dgu+8Ge0sQKBgQCgC43Eqb71RA/GlFMfeUEY2g0FDMxC7SGItZ4yxgllGcMBC+So
BjgkjD5z6h3MTT5WaT+SdjdSQPymQRi9dpWkWKypkVs+035TIDNuUeDpOEtANAgK
0j6u3TeI5Mbd4mO0uKUQIgYTAm2/iWX0y+X7APH0H8KMIhL7swTQlsfVnQKBgFHL
6vZ0eY5wTm1aaK3qf0lj5xJIV+SMJY2NMEVYBild0zGkJ10kM1TNMwcIQFp9KYad
Mg5RBsTpSLUdRRwQPuiYb1yQYWOXtrys9k6fnH/d6MpkNtMJK6Wg6r/ZunPHZ6IW
lRSdQNniGGyQUiYwrDnCEmZqlSo1VVIoul00oChhAoGAOCtb43fk2UMifegiGxXc
Vt13GW9IFcojqZUzgcJAx4zyMR6CtGJUcCixPmiJ3vz95tRgJEJvXguzYqXvZhz4
UArGtgMzF9ZHM+59VXYSSO4gkgxL6qPyTPU2V30ZAt1qir3X/wD2LmY9nJ6XCFFz
j6m8M8vOA6pQ3Q3/aKlpWpo=
-----END PRIVATE KEY-----
)PEM";
// The public half of RSA key "B".
inline constexpr std::string_view rsa2_public_pem = R"PEM(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAq99aU5wRUvqD3QfHHnvQ
ciX8skIu/FYojwaUzLu0oa2vezewN/z7IbS8/1xIgaVRsyrPsNcwGSp6XIVxpdPJ
uMLJB8mCKJEm6DZ7AH07pwyE7TSuZs4XYLN4ONdEM/cNHCNNVs46NUn6FtRv+ZTm
LgD1sd9wll1yyBbOkT8kiExGhIHylRZclQq3xASpjEoLjm02IfJnmBebbTb7cMW9
PzsjKKArx4VpUem+IsgwtclypPIUqQszY0x5oHIFEUTaPQke/TfqB1WV/XeGB0qU
U7FgKLxUw4DWHBuZGO9QiWtOYkdVUxaZJJErsRukUJfC/hWhyxS5DJJwKxVk5wLg
FQIDAQAB
-----END PUBLIC KEY-----
)PEM";
// RSA 1024: too short for herald.
inline constexpr std::string_view rsa1024_private_pem = R"PEM(-----BEGIN PRIVATE KEY-----
MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAM2OER80uhKC6FQD
H3XjWY6g52zEaMbsYP4/IhbT3dy1PGE2OXRxFzVhrLkyQhWnqWY/47A5Fj2nH2M0
tyKCvEuGWcPQMXl7Nb7uoruGDwQbgafRFDXE+jLXFW7aWZfvlxBSnNolfyJVgJHm
XLHJi1fv0YtfnC9qzgjhW71Bw2+dAgMBAAECgYEAkclNyXUq91ATGOqyGHlrniXu
nQzcRyGFVS1PryMKuqtrrIK50yUWUcz5pMvJZPRpx9ROV0DVzlpGf6T2sipJAn3P
lh5iV74uRCWaZ38Yte413LA5p6uxKC2nfFPj1K5j15+phP8BRTYVrjf+9gOK7qQY
sqGzxgfAyO1wzvHW7r0CQQDzKuzZKaYNJhmn7BTDhzsA83qWNBn4uGG7+Q50Ekt0
8bjuMy42A9neVUqjuu9hPpvOcF50tULV61rJvZjeFk5TAkEA2GcDK1m5Pmi5YqJV
TgmW0zXx7zRJqHEjmaUZFa89tNeSI6oRlNMXCFheHPsSLsA3wSHHVpW+QnFcxVoO
A4ksTwJAYy6v+oe1VgmjT03IzlPbKjElYBySN1OlcZFNZuSLaICrqGSxxZBejgQF
9LBrsSNjU5mbvUitoSllF4JA1t0MRwJASXxZwCvc0wufAJadnz10YU7tVEyOQswA
ydkdtpZmvvWBY+kJxV8VcDkJ5I+B8ixGAqik14tMK6XxWfcl0R+Q0wJAOSHYVwxA
Pgdvz9947QSva+WAhotaBmasofrnavRsbUYIm0S6bwW9qv4thaVqr7I1oj0PV6BI
W91ZZ2PFts8TDg==
-----END PRIVATE KEY-----
)PEM";
// The public half of the RSA 1024 key.
inline constexpr std::string_view rsa1024_public_pem = R"PEM(-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDNjhEfNLoSguhUAx9141mOoOds
xGjG7GD+PyIW093ctTxhNjl0cRc1Yay5MkIVp6lmP+OwORY9px9jNLcigrxLhlnD
0DF5ezW+7qK7hg8EG4Gn0RQ1xPoy1xVu2lmX75cQUpzaJX8iVYCR5lyxyYtX79GL
X5wvas4I4Vu9QcNvnQIDAQAB
-----END PUBLIC KEY-----
)PEM";
// EC P-256, PKCS#8.
inline constexpr std::string_view p256_private_pem = R"PEM(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjL+FxjEt3sksEZwy
/c05FSbp0rk2BvJN8H2xdYRlXM2hRANCAAR2ta49u9WpC1l1q51G6ZC+s8e9XRxH
7LFPh2HIVtx/npHkeZBVL91uCb1uVGDKiDGSQZvZJf1FeZnS7qPsWf9+
-----END PRIVATE KEY-----
)PEM";
// The same P-256 key in the SEC 1 "EC PRIVATE KEY" form.
inline constexpr std::string_view p256_private_sec1_pem = R"PEM(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIIy/hcYxLd7JLBGcMv3NORUm6dK5NgbyTfB9sXWEZVzNoAoGCCqGSM49
AwEHoUQDQgAEdrWuPbvVqQtZdaudRumQvrPHvV0cR+yxT4dhyFbcf56R5HmQVS/d
bgm9blRgyogxkkGb2SX9RXmZ0u6j7Fn/fg==
-----END EC PRIVATE KEY-----
)PEM";
// The public half of the P-256 key.
inline constexpr std::string_view p256_public_pem = R"PEM(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEdrWuPbvVqQtZdaudRumQvrPHvV0c
R+yxT4dhyFbcf56R5HmQVS/dbgm9blRgyogxkkGb2SX9RXmZ0u6j7Fn/fg==
-----END PUBLIC KEY-----
)PEM";
// EC P-384, PKCS#8.
inline constexpr std::string_view p384_private_pem = R"PEM(-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDARlksrlzlOS0TV4Pta
IoFPT7qG7JF6KtS9roTZ8Kg1M5Gy3rZlaJYKi8/jQs1SYhShZANiAASc6E8tFfB7
aohImeLRidFDEo1VXgrOPd0/zccJ3SSHKBUg6PrbhCsB+quaRdYAUPPS+Uvylq75
0WOap6C7DAa+9UJRg3PwbQv/98IAMEizATIRrhNq6VrIah5/oq/TF3E=
-----END PRIVATE KEY-----
)PEM";
// The public half of the P-384 key.
inline constexpr std::string_view p384_public_pem = R"PEM(-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEnOhPLRXwe2qISJni0YnRQxKNVV4Kzj3d
P83HCd0khygVIOj624QrAfqrmkXWAFDz0vlL8pau+dFjmqeguwwGvvVCUYNz8G0L
//fCADBIswEyEa4TaulayGoef6Kv0xdx
-----END PUBLIC KEY-----
)PEM";
// EC P-521, PKCS#8.
inline constexpr std::string_view p521_private_pem = R"PEM(-----BEGIN PRIVATE KEY-----
MIHuAgEAMBAGByqGSM49AgEGBSuBBAAjBIHWMIHTAgEBBEIBVrDKH8yYVi2L3WKs
SeRBpxXbuy9N/TsTfQD/gtbeq4dFb6TgqmwP6PhPwa5IHw8dS71pNr38QO3REX4F
YS6G4fehgYkDgYYABAH5W7ot7QHyHrRG/yYI3GJdoUddsCeKBkdLo5yaJP0Xl+yc
quyB18r7OBHdfFN3dJ6mUkB9mCLyvQQ+ZFVV/fbVZABk4AstTx0JBxj5hWFnTyPO
pYKZq+uisMsuWRrBvWUVYUduUtx6PxqNnk56YfSTYXZBOPJW3Zn0DNUE45hmY7mG
Fg==
-----END PRIVATE KEY-----
)PEM";
// The public half of the P-521 key.
inline constexpr std::string_view p521_public_pem = R"PEM(-----BEGIN PUBLIC KEY-----
MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQB+Vu6Le0B8h60Rv8mCNxiXaFHXbAn
igZHS6OcmiT9F5fsnKrsgdfK+zgR3XxTd3SeplJAfZgi8r0EPmRVVf321WQAZOAL
LU8dCQcY+YVhZ08jzqWCmavrorDLLlkawb1lFWFHblLcej8ajZ5OemH0k2F2QTjy
Vt2Z9AzVBOOYZmO5hhY=
-----END PUBLIC KEY-----
)PEM";
// EC secp256k1, PKCS#8: a curve JWS (ES*) does not use.
inline constexpr std::string_view secp256k1_private_pem = R"PEM(-----BEGIN PRIVATE KEY-----
MIGEAgEAMBAGByqGSM49AgEGBSuBBAAKBG0wawIBAQQgGvQJeRWp/hFpLUrr2Z3T
+y27eYDH81PaSmZ5A1WEKmehRANCAATz19KbVjxZNZTd5RsfACEi+Vj7cq2xFb5s
ZKvnhBJTLzjrakyR8WHMuhCos+8jvKUXCLTNWB5M1GsucR4M28XT
-----END PRIVATE KEY-----
)PEM";
// The public half of the secp256k1 key.
inline constexpr std::string_view secp256k1_public_pem = R"PEM(-----BEGIN PUBLIC KEY-----
MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAE89fSm1Y8WTWU3eUbHwAhIvlY+3KtsRW+
bGSr54QSUy8462pMkfFhzLoQqLPvI7ylFwi0zVgeTNRrLnEeDNvF0w==
-----END PUBLIC KEY-----
)PEM";
// Ed25519: neither RSA nor EC.
inline constexpr std::string_view ed25519_public_pem = R"PEM(-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEANbWj601kn9mPSqyBUHF/eg6/p1edfPk667+UQG1GAgw=
-----END PUBLIC KEY-----
)PEM";

// ---- Files -------------------------------------------------------------------------------------

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class scratch_dir {
public:
    scratch_dir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "herald-auth-test-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
        path_ = tmpl;
    }
    ~scratch_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;

    std::string path(const std::string& name) const { return (path_ / name).string(); }
    // Writes `text` to `name` in this directory; returns the file's path.
    std::string write(const std::string& name, std::string_view text) const {
        const auto p = path(name);
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        if (!out) throw std::runtime_error("cannot write " + p);
        return p;
    }

private:
    std::filesystem::path path_;
};

// A signing key from PEM text, through load_private_key_file (throws, failing the test, if refused).
inline verify_key private_key(std::string_view pem, const std::string& file_name = "signing.pem") {
    scratch_dir dir;
    auto k = load_private_key_file(dir.write(file_name, pem));
    if (!k) throw std::runtime_error("load_private_key_file refused a test key: " + k.err().message);
    return *k;
}

// An HMAC key as key_set::add_secret makes it.
inline verify_key secret_key(std::string secret) {
    key_set ks;
    ks.add_secret(std::move(secret), "secret #1");
    return ks.keys().front();
}

}  // namespace herald::auth::test_keys
