// OpenSSL's libcrypto (Debian libssl-dev): SHA-256 through the EVP digest interface, for the
// `parameters sha256` fingerprint. (The low-level SHA256_Init/Update/Final are deprecated in OpenSSL 3.)
#include <openssl/evp.h>
