// Fiber: switching on Boost.Context's fcontext, each switch announced to ASan/TSan, and the
// SIGSEGV handler that names a fiber whose stack overflowed.
#include "evq/fiber/fiber.hpp"

#include <signal.h>
#include <unistd.h>

#include <boost/context/detail/fcontext.hpp>
#include <cassert>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#define EVQ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EVQ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define EVQ_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EVQ_TSAN 1
#endif
#endif
#ifdef EVQ_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef EVQ_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace evq::fiber {

namespace fctx = boost::context::detail;

struct Fiber::State {
  Stack stack;
  std::function<void()> body;
  std::string name;
  fctx::fcontext_t self = nullptr;    // the fiber's own context while it is not running
  fctx::fcontext_t caller = nullptr;  // its resumer's context while it runs
  State* outer = nullptr;             // the fiber that resumed it, if any (fibers nest)
  std::exception_ptr error;
  bool started = false;
  bool done = false;
  bool unwinding = false;
#ifdef EVQ_ASAN
  void* fake_stack = nullptr;  // ASan's fake stack of this fiber while it is switched out
  const void* caller_bottom = nullptr;
  std::size_t caller_size = 0;
#endif
#ifdef EVQ_TSAN
  void* tsan_fiber = nullptr;
  void* tsan_caller = nullptr;
#endif

  ~State() {
#ifdef EVQ_TSAN
    if (tsan_fiber) __tsan_destroy_fiber(tsan_fiber);
#endif
  }
};

namespace {

thread_local Fiber::State* current = nullptr;

// From the resumer into `s`, until `s` switches back.
void switch_in(Fiber::State& s) {
#ifdef EVQ_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, s.stack.bottom(), s.stack.size());
#endif
#ifdef EVQ_TSAN
  s.tsan_caller = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(s.tsan_fiber, 0);
#endif
  const fctx::transfer_t t = fctx::jump_fcontext(s.self, &s);
  s.self = t.fctx;
#ifdef EVQ_ASAN
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
}

// From inside `s` back to its resumer; `last`: `s` has finished and is never switched into again.
void switch_out(Fiber::State& s, [[maybe_unused]] bool last) {
#ifdef EVQ_ASAN
  __sanitizer_start_switch_fiber(last ? nullptr : &s.fake_stack, s.caller_bottom, s.caller_size);
#endif
#ifdef EVQ_TSAN
  __tsan_switch_to_fiber(s.tsan_caller, 0);
#endif
  const fctx::transfer_t t = fctx::jump_fcontext(s.caller, nullptr);
  s.caller = t.fctx;  // resumed again, maybe by someone else
#ifdef EVQ_ASAN
  __sanitizer_finish_switch_fiber(s.fake_stack, &s.caller_bottom, &s.caller_size);
#endif
}

[[noreturn]] void entry(fctx::transfer_t t) noexcept {
  auto& s = *static_cast<Fiber::State*>(t.data);
  s.caller = t.fctx;
#ifdef EVQ_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &s.caller_bottom, &s.caller_size);
#endif
  try {
    s.body();
  } catch (const ForcedUnwind&) {
    // the fiber is being destroyed: its stack is unwound, nothing to report
  } catch (...) {
    s.error = std::current_exception();
  }
  s.done = true;
  switch_out(s, true);
  std::abort();  // a finished fiber is never resumed
}

// --- stack overflow reporting -------------------------------------------------------------

struct sigaction previous_segv;
struct sigaction previous_bus;

void write_all(const char* p, std::size_t n) noexcept {
  while (n > 0) {
    const ssize_t w = ::write(STDERR_FILENO, p, n);
    if (w <= 0) return;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void write_str(const char* p) noexcept {
  std::size_t n = 0;
  while (p[n] != '\0')
    ++n;
  write_all(p, n);
}

void write_number(std::size_t v) noexcept {
  char digits[24];
  std::size_t i = sizeof(digits);
  do {
    digits[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  write_all(digits + i, sizeof(digits) - i);
}

// Async-signal-safe: reads the thread's current fiber and writes with write(2).
void on_fault(int sig, siginfo_t* info, void*) {
  const Fiber::State* s = current;
  if (s != nullptr && s->stack.in_guard(info->si_addr)) {
    write_str("evq: fiber \"");
    write_all(s->name.data(), s->name.size());
    write_str("\" overflowed its ");
    write_number(s->stack.size());
    write_str("-byte stack (give it a larger stack size)\n");
    ::signal(sig, SIG_DFL);  // returning repeats the fault, which now ends the process
    return;
  }
  // Not ours: the handler from before takes it (the fault repeats on return; a signal that was
  // sent rather than caused by a fault is sent again).
  ::sigaction(sig, sig == SIGSEGV ? &previous_segv : &previous_bus, nullptr);
  if (info->si_code <= 0) ::raise(sig);
}

// The handler runs on an alternate stack: the fiber's own is exhausted. One per thread.
struct AltStack {
  std::unique_ptr<char[]> memory;
  AltStack() {
    stack_t old{};
    if (::sigaltstack(nullptr, &old) == 0 && !(old.ss_flags & SS_DISABLE)) return;  // has one
    constexpr std::size_t kSize = 64 * 1024;
    memory = std::make_unique<char[]>(kSize);
    stack_t st{};
    st.ss_sp = memory.get();
    st.ss_size = kSize;
    ::sigaltstack(&st, nullptr);
  }
  ~AltStack() {
    if (!memory) return;
    stack_t st{};
    st.ss_flags = SS_DISABLE;
    ::sigaltstack(&st, nullptr);
  }
};

void watch_for_overflow() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = &on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGSEGV, &sa, &previous_segv);
    ::sigaction(SIGBUS, &sa, &previous_bus);
  });
  thread_local AltStack alt;
}

}  // namespace

Result<Fiber> Fiber::create(std::function<void()> body, Options options) {
  auto stack = Stack::allocate(options.stack_size);
  if (!stack) return fail(stack.error());
  auto s = std::make_unique<State>();
  s->stack = std::move(*stack);
  s->body = std::move(body);
  s->name = std::move(options.name);
  s->self = fctx::make_fcontext(s->stack.top(), s->stack.size(), &entry);
#ifdef EVQ_TSAN
  s->tsan_fiber = __tsan_create_fiber(0);
#endif
  return Fiber(std::move(s));
}

Result<Fiber> Fiber::create(std::function<void()> body) {
  return create(std::move(body), Options{});
}

Fiber::Fiber(std::unique_ptr<State> s) noexcept : s_(std::move(s)) {}
Fiber::Fiber(Fiber&&) noexcept = default;

Fiber& Fiber::operator=(Fiber&& o) noexcept {
  if (this != &o) {
    Fiber old(std::move(*this));
    s_ = std::move(o.s_);
  }
  return *this;
}

Fiber::~Fiber() {
  if (!s_ || !s_->started) return;
  s_->unwinding = true;
  while (!s_->done) {
    try {
      resume();
    } catch (...) {  // what the body threw while unwinding: nobody is left to receive it
    }
  }
}

void Fiber::resume() {
  State& s = *s_;
  assert(!s.done && &s != current);
  watch_for_overflow();
  s.started = true;
  s.outer = current;
  current = &s;
  switch_in(s);
  current = s.outer;
  if (s.error) std::rethrow_exception(std::exchange(s.error, nullptr));
}

bool Fiber::done() const noexcept {
  return s_->done;
}

const std::string& Fiber::name() const noexcept {
  return s_->name;
}

void Fiber::suspend() {
  assert(current != nullptr && "Fiber::suspend() outside a fiber");
  State& s = *current;
  switch_out(s, false);
  if (s.unwinding) throw ForcedUnwind{};
}

bool Fiber::running_inside() noexcept {
  return current != nullptr;
}

}  // namespace evq::fiber
