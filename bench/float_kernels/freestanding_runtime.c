/* memset and memcpy for the freestanding wasm build (no libc), which the
 * compiler may call for zeroing or copying loops. Built with -fno-builtin. */
typedef __SIZE_TYPE__ size_t;

void* memset(void* dest, int value, size_t n) {
  unsigned char* out = dest;
  while (n--) *out++ = (unsigned char)value;
  return dest;
}

void* memcpy(void* dest, const void* src, size_t n) {
  unsigned char* out = dest;
  const unsigned char* in = src;
  while (n--) *out++ = *in++;
  return dest;
}
