// A fixed pool of worker threads that run one job at a time, for the forward pass's many
// short parallel steps (a generated token is ~150 of them, each well under a millisecond).
//
// Waking a sleeping thread costs tens of microseconds, so between jobs a worker first spins on
// the job counter for a short while and only then sleeps on a condition variable; the caller
// takes worker 0's share itself and spins until the others are done. An idle model therefore
// costs no CPU once the spin budget has run out. Jobs from several threads run one after the
// other; a job started from inside a job runs on the calling thread alone.

#include "gemma_kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
static inline void relax(void) { _mm_pause(); }
#else
static inline void relax(void) {}
#endif

/// Spins before sleeping: about 100 µs on a current x86 core.
enum { SPIN_LIMIT = 20000 };

struct gk_pool {
    int threads;
    pthread_t *workers;
    pthread_mutex_t running;   // one job at a time
    pthread_mutex_t lock;
    pthread_cond_t wake;
    _Atomic uint64_t job;      // incremented for every job; workers run each number once
    _Atomic int remaining;     // workers still running the current job
    _Atomic int sleepers;      // workers waiting on `wake`
    _Atomic int stopping;
    gk_pool_task task;
    void *context;
};

typedef struct { gk_pool *pool; int index; } worker_start;

/// Set on every thread while it runs a share of a job.
static _Thread_local int in_job;

static void *worker_main(void *argument) {
    worker_start start = *(worker_start *)argument;
    free(argument);
    gk_pool *pool = start.pool;
    uint64_t seen = 0;
    in_job = 1;
    for (;;) {
        uint64_t job;
        int spins = 0;
        while ((job = atomic_load_explicit(&pool->job, memory_order_acquire)) == seen &&
               !atomic_load_explicit(&pool->stopping, memory_order_acquire)) {
            if (++spins < SPIN_LIMIT) {
                relax();
                continue;
            }
            pthread_mutex_lock(&pool->lock);
            atomic_fetch_add(&pool->sleepers, 1);
            while (atomic_load(&pool->job) == seen && !atomic_load(&pool->stopping)) pthread_cond_wait(&pool->wake, &pool->lock);
            atomic_fetch_sub(&pool->sleepers, 1);
            pthread_mutex_unlock(&pool->lock);
        }
        if (atomic_load_explicit(&pool->stopping, memory_order_acquire)) return NULL;
        seen = job;
        pool->task(pool->context, start.index);
        atomic_fetch_sub_explicit(&pool->remaining, 1, memory_order_release);
    }
}

gk_pool *gk_pool_create(int threads) {
    gk_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->threads = threads < 1 ? 1 : threads;
    pthread_mutex_init(&pool->running, NULL);
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pool->workers = calloc((size_t)pool->threads, sizeof(pthread_t));
    for (int i = 1; i < pool->threads; i++) {
        worker_start *start = malloc(sizeof *start);
        *start = (worker_start){pool, i};
        pthread_create(&pool->workers[i], NULL, worker_main, start);
    }
    return pool;
}

void gk_pool_run(gk_pool *pool, gk_pool_task task, void *context) {
    if (pool->threads == 1 || in_job) {
        for (int i = 0; i < pool->threads; i++) task(context, i);
        return;
    }
    pthread_mutex_lock(&pool->running);
    pool->task = task;
    pool->context = context;
    atomic_store_explicit(&pool->remaining, pool->threads - 1, memory_order_relaxed);
    atomic_fetch_add(&pool->job, 1);  // sequentially consistent: pairs with a worker's sleepers increment
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->lock);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->lock);
    }
    in_job = 1;
    task(context, 0);
    in_job = 0;
    while (atomic_load_explicit(&pool->remaining, memory_order_acquire) > 0) relax();
    pthread_mutex_unlock(&pool->running);
}

void gk_pool_destroy(gk_pool *pool) {
    if (!pool) return;
    atomic_store(&pool->stopping, 1);
    pthread_mutex_lock(&pool->lock);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 1; i < pool->threads; i++) pthread_join(pool->workers[i], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    pthread_mutex_destroy(&pool->running);
    free(pool->workers);
    free(pool);
}

int64_t gk_fetch_add(int64_t *counter, int64_t value) {
    return atomic_fetch_add_explicit((_Atomic int64_t *)counter, value, memory_order_relaxed);
}
