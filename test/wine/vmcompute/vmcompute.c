/*
 * A fake vmcompute.dll for the Wine lane (test/wine): the six Host Compute Service functions the shim
 * binds (src/platform/windows-vmcompute.ts), with hcsshim's signatures (internal/vmcompute/vmcompute.go),
 * forwarding to a "compute system" process over named pipes. setup.sh builds it with mingw-w64 and copies
 * it to %SystemRoot%\System32\vmcompute.dll of the test prefix, so the shim's production load path is used.
 *
 * Protocol (client side; the server is the compute-system stub of the test):
 *   HcsOpenComputeSystem(id): the pipe \\.\pipe\runhcs-wine-sim-cs-<id> must exist; otherwise
 *     HRESULT 0xC037010E (ErrComputeSystemDoesNotExist) with a result JSON.
 *   Every later call opens one connection, writes one UTF-8 line and reads one reply line:
 *     "open <pid>" | "terminate <pid>" | "signal <pid> <options-json>"  ->  "ok" | "err 0x%08x <message>"
 *   An error reply becomes that HRESULT plus {"Error":<hr>,"ErrorMessage":"<message>"}.
 *
 * Every result string is allocated with CoTaskMemAlloc, on success and failure. A malloc spy
 * (CoRegisterMallocSpy) sees every CoTaskMemFree; FakeHcsOutstandingResults() returns how many results
 * were handed out and not freed yet (-1 if the spy could not be registered).
 * Test hook: the environment variable FAKE_HCS_FAIL_NEXT=<hresult hex>[:<function name>] makes the next
 * call (of that function, when named) fail with that HRESULT; it is cleared when used.
 */
#define COBJMACROS
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <objbase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __declspec(dllexport)
#define MAGIC_SYSTEM 0x53594354u
#define MAGIC_PROCESS 0x50524354u
#define HCS_E_SYSTEM_NOT_FOUND ((HRESULT)0xC037010E)
#define MAX_TRACKED 4096

typedef struct { DWORD magic; WCHAR id[256]; } fake_system;
typedef struct { DWORD magic; WCHAR id[256]; DWORD pid; } fake_process;

/* ---- results, tracked through a malloc spy ---------------------------------------------------------- */

static CRITICAL_SECTION lock;
static void *tracked[MAX_TRACKED];
static int spy_state; /* 0 not tried, 1 registered, -1 failed */

static void untrack(void *p) {
  int i;
  if (!p) return;
  EnterCriticalSection(&lock);
  for (i = 0; i < MAX_TRACKED; i++) if (tracked[i] == p) { tracked[i] = 0; break; }
  LeaveCriticalSection(&lock);
}

static HRESULT STDMETHODCALLTYPE spy_qi(IMallocSpy *self, REFIID riid, void **out) {
  if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IMallocSpy)) { *out = self; return S_OK; }
  *out = 0;
  return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE spy_addref(IMallocSpy *self) { (void)self; return 2; }
static ULONG STDMETHODCALLTYPE spy_release(IMallocSpy *self) { (void)self; return 1; }
static SIZE_T STDMETHODCALLTYPE spy_prealloc(IMallocSpy *self, SIZE_T n) { (void)self; return n; }
static void *STDMETHODCALLTYPE spy_postalloc(IMallocSpy *self, void *p) { (void)self; return p; }
static void *STDMETHODCALLTYPE spy_prefree(IMallocSpy *self, void *p, BOOL spyed) {
  (void)self; (void)spyed;
  untrack(p);
  return p;
}
static void STDMETHODCALLTYPE spy_postfree(IMallocSpy *self, BOOL spyed) { (void)self; (void)spyed; }
static SIZE_T STDMETHODCALLTYPE spy_prerealloc(IMallocSpy *self, void *p, SIZE_T n, void **out, BOOL spyed) {
  (void)self; (void)spyed;
  *out = p;
  return n;
}
static void *STDMETHODCALLTYPE spy_postrealloc(IMallocSpy *self, void *p, BOOL spyed) { (void)self; (void)spyed; return p; }
static void *STDMETHODCALLTYPE spy_pregetsize(IMallocSpy *self, void *p, BOOL spyed) { (void)self; (void)spyed; return p; }
static SIZE_T STDMETHODCALLTYPE spy_postgetsize(IMallocSpy *self, SIZE_T n, BOOL spyed) { (void)self; (void)spyed; return n; }
static void *STDMETHODCALLTYPE spy_predidalloc(IMallocSpy *self, void *p, BOOL spyed) { (void)self; (void)spyed; return p; }
static int STDMETHODCALLTYPE spy_postdidalloc(IMallocSpy *self, void *p, BOOL spyed, int r) { (void)self; (void)p; (void)spyed; return r; }
static void STDMETHODCALLTYPE spy_preheapmin(IMallocSpy *self) { (void)self; }
static void STDMETHODCALLTYPE spy_postheapmin(IMallocSpy *self) { (void)self; }

static IMallocSpyVtbl spy_vtbl = {
  spy_qi, spy_addref, spy_release, spy_prealloc, spy_postalloc, spy_prefree, spy_postfree,
  spy_prerealloc, spy_postrealloc, spy_pregetsize, spy_postgetsize, spy_predidalloc, spy_postdidalloc,
  spy_preheapmin, spy_postheapmin,
};
static IMallocSpy spy = { &spy_vtbl };

static void ensure_spy(void) {
  if (spy_state == 0) spy_state = SUCCEEDED(CoRegisterMallocSpy(&spy)) ? 1 : -1;
}

/* Hands out a CoTaskMemAlloc'd UTF-16 copy of a UTF-8 string and remembers it until it is freed. */
static void set_result(PWSTR *result, const char *utf8) {
  int n, i;
  PWSTR w;
  if (!result) return;
  ensure_spy();
  n = MultiByteToWideChar(CP_UTF8, 0, utf8, -1, 0, 0);
  w = CoTaskMemAlloc(n * sizeof(WCHAR));
  if (!w) { *result = 0; return; }
  MultiByteToWideChar(CP_UTF8, 0, utf8, -1, w, n);
  EnterCriticalSection(&lock);
  for (i = 0; i < MAX_TRACKED; i++) if (!tracked[i]) { tracked[i] = w; break; }
  LeaveCriticalSection(&lock);
  *result = w;
}

static HRESULT fail(PWSTR *result, HRESULT hr, const char *message) {
  char json[1024];
  char esc[700];
  int j = 0;
  const char *m;
  for (m = message; *m && j < (int)sizeof esc - 3; m++) {
    if (*m == '"' || *m == '\\') esc[j++] = '\\';
    if ((unsigned char)*m >= 0x20) esc[j++] = *m;
  }
  esc[j] = 0;
  snprintf(json, sizeof json, "{\"Error\":%ld,\"ErrorMessage\":\"%s\"}", (long)hr, esc);
  set_result(result, json);
  return hr;
}

static HRESULT ok(PWSTR *result) {
  set_result(result, "{\"Error\":0}");
  return S_OK;
}

/* FAKE_HCS_FAIL_NEXT=<hex>[:<function>]: fail this call with that HRESULT, once. */
static BOOL injected(const char *fn, HRESULT *hr) {
  char v[128];
  char *colon;
  DWORD n = GetEnvironmentVariableA("FAKE_HCS_FAIL_NEXT", v, sizeof v);
  if (n == 0 || n >= sizeof v) return FALSE;
  colon = strchr(v, ':');
  if (colon) {
    *colon = 0;
    if (strcmp(colon + 1, fn) != 0) return FALSE;
  }
  *hr = (HRESULT)strtoul(v, 0, 16);
  SetEnvironmentVariableA("FAKE_HCS_FAIL_NEXT", 0);
  return TRUE;
}

/* ---- the compute-system pipe ------------------------------------------------------------------------ */

static void pipe_name(const WCHAR *id, WCHAR *out, size_t n) {
  _snwprintf(out, n, L"\\\\.\\pipe\\runhcs-wine-sim-cs-%ls", id);
  out[n - 1] = 0;
}

/* One request line, one reply line. Returns S_OK for "ok", the HRESULT of "err", or a transport error. */
static HRESULT request(const WCHAR *id, const char *line, PWSTR *result) {
  WCHAR name[320];
  HANDLE h = INVALID_HANDLE_VALUE;
  char reply[1024];
  DWORD got = 0, n, written;
  int tries;
  unsigned long code;
  char *msg;
  pipe_name(id, name, sizeof name / sizeof name[0]);
  for (tries = 0; tries < 100; tries++) {
    h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, 0, OPEN_EXISTING, 0, 0);
    if (h != INVALID_HANDLE_VALUE) break;
    if (GetLastError() != ERROR_PIPE_BUSY) break;
    WaitNamedPipeW(name, 100);
  }
  if (h == INVALID_HANDLE_VALUE) return fail(result, HCS_E_SYSTEM_NOT_FOUND, "compute system pipe is gone");
  if (!WriteFile(h, line, (DWORD)strlen(line), &written, 0)) {
    CloseHandle(h);
    return fail(result, HRESULT_FROM_WIN32(GetLastError()), "write to the compute system failed");
  }
  while (got < sizeof reply - 1 && ReadFile(h, reply + got, sizeof reply - 1 - got, &n, 0) && n > 0) {
    got += n;
    if (memchr(reply, '\n', got)) break;
  }
  CloseHandle(h);
  reply[got] = 0;
  if (got && reply[got - 1] == '\n') reply[--got] = 0;
  if (got && reply[got - 1] == '\r') reply[--got] = 0;
  if (strcmp(reply, "ok") == 0) return ok(result);
  if (strncmp(reply, "err ", 4) == 0) {
    code = strtoul(reply + 4, &msg, 16);
    while (*msg == ' ') msg++;
    return fail(result, (HRESULT)code, msg);
  }
  return fail(result, E_UNEXPECTED, got ? reply : "no reply from the compute system");
}

/* ---- the exports ------------------------------------------------------------------------------------ */

EXPORT HRESULT WINAPI HcsOpenComputeSystem(PCWSTR id, void **computeSystem, PWSTR *result) {
  WCHAR name[320];
  fake_system *s;
  HRESULT hr;
  if (computeSystem) *computeSystem = 0;
  if (injected("HcsOpenComputeSystem", &hr)) return fail(result, hr, "injected failure");
  if (!id || !computeSystem || wcslen(id) >= 256) return fail(result, E_INVALIDARG, "invalid argument");
  pipe_name(id, name, sizeof name / sizeof name[0]);
  if (!WaitNamedPipeW(name, 2000) && GetLastError() != ERROR_SEM_TIMEOUT) {
    return fail(result, HCS_E_SYSTEM_NOT_FOUND, "A virtual machine or container with the specified identifier does not exist.");
  }
  s = calloc(1, sizeof *s);
  s->magic = MAGIC_SYSTEM;
  wcscpy(s->id, id);
  *computeSystem = s;
  return ok(result);
}

EXPORT HRESULT WINAPI HcsCloseComputeSystem(void *computeSystem) {
  fake_system *s = computeSystem;
  if (!s || s->magic != MAGIC_SYSTEM) return E_HANDLE;
  s->magic = 0;
  free(s);
  return S_OK;
}

EXPORT HRESULT WINAPI HcsOpenProcess(void *computeSystem, DWORD pid, void **process, PWSTR *result) {
  fake_system *s = computeSystem;
  fake_process *p;
  char line[64];
  HRESULT hr;
  if (process) *process = 0;
  if (injected("HcsOpenProcess", &hr)) return fail(result, hr, "injected failure");
  if (!s || s->magic != MAGIC_SYSTEM || !process) return fail(result, E_HANDLE, "invalid compute system handle");
  snprintf(line, sizeof line, "open %lu\n", (unsigned long)pid);
  hr = request(s->id, line, result);
  if (FAILED(hr)) return hr;
  p = calloc(1, sizeof *p);
  p->magic = MAGIC_PROCESS;
  wcscpy(p->id, s->id);
  p->pid = pid;
  *process = p;
  return hr;
}

EXPORT HRESULT WINAPI HcsCloseProcess(void *process) {
  fake_process *p = process;
  if (!p || p->magic != MAGIC_PROCESS) return E_HANDLE;
  p->magic = 0;
  free(p);
  return S_OK;
}

EXPORT HRESULT WINAPI HcsTerminateProcess(void *process, PWSTR *result) {
  fake_process *p = process;
  char line[64];
  HRESULT hr;
  if (injected("HcsTerminateProcess", &hr)) return fail(result, hr, "injected failure");
  if (!p || p->magic != MAGIC_PROCESS) return fail(result, E_HANDLE, "invalid process handle");
  snprintf(line, sizeof line, "terminate %lu\n", (unsigned long)p->pid);
  return request(p->id, line, result);
}

EXPORT HRESULT WINAPI HcsSignalProcess(void *process, PCWSTR options, PWSTR *result) {
  fake_process *p = process;
  char *line;
  int n;
  HRESULT hr;
  if (injected("HcsSignalProcess", &hr)) return fail(result, hr, "injected failure");
  if (!p || p->magic != MAGIC_PROCESS) return fail(result, E_HANDLE, "invalid process handle");
  if (!options) return fail(result, E_INVALIDARG, "no options");
  n = WideCharToMultiByte(CP_UTF8, 0, options, -1, 0, 0, 0, 0);
  line = malloc(n + 64);
  n = snprintf(line, 64, "signal %lu ", (unsigned long)p->pid);
  WideCharToMultiByte(CP_UTF8, 0, options, -1, line + n, WideCharToMultiByte(CP_UTF8, 0, options, -1, 0, 0, 0, 0), 0, 0);
  strcat(line, "\n");
  hr = request(p->id, line, result);
  free(line);
  return hr;
}

/* Test only: results handed out and not yet freed with CoTaskMemFree; -1 when the spy is not working. */
EXPORT int WINAPI FakeHcsOutstandingResults(void) {
  int i, n = 0;
  if (spy_state != 1) return spy_state == 0 ? 0 : -1;
  EnterCriticalSection(&lock);
  for (i = 0; i < MAX_TRACKED; i++) if (tracked[i]) n++;
  LeaveCriticalSection(&lock);
  return n;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
  (void)instance; (void)reserved;
  if (reason == DLL_PROCESS_ATTACH) InitializeCriticalSection(&lock);
  return TRUE;
}
