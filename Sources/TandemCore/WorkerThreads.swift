#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A fixed team of threads that run one job at a time together: `run(body)` calls `body(0)` on the
/// calling thread and `body(1)…body(count − 1)` on the others, and returns when all have finished.
///
/// What a thread does is decided by its index alone (which micro-batches it takes), never by timing,
/// so the results do not depend on the thread count or the scheduling. Workers wait for the next job
/// spinning a short while (a training step starts several jobs in quick succession), then asleep.
package final class WorkerThreads: @unchecked Sendable {
    package let count: Int
    private var threads: [pthread_t] = []
    private var mutex = pthread_mutex_t()
    private var jobPosted = pthread_cond_t()
    private var jobDone = pthread_cond_t()
    /// Bumped for every job (and once more to stop).
    private let generation = Atomic<Int>(0)
    /// Workers still running the current job.
    private let remaining = Atomic<Int>(0)
    private var stopping = false
    /// The current job: valid from posting it until every worker is done with it.
    private var job: ((Int) -> Void)?

    /// Spins before sleeping, in atomic loads: a few microseconds.
    private static let spinLimit = 20_000

    /// - Parameter count: threads in all, the calling one included (1: no extra thread).
    package init(count: Int) {
        precondition(count >= 1, "at least one thread")
        self.count = count
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&jobPosted, nil)
        pthread_cond_init(&jobDone, nil)
        for index in 1..<count {
            let context = Unmanaged.passRetained(WorkerContext(pool: self, index: index)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { pointer in
                let context = Unmanaged<WorkerContext>.fromOpaque(pointer!).takeRetainedValue()
                context.pool.workLoop(index: context.index)
                return nil
            }, context)
            precondition(status == 0, "cannot start worker thread \(index): error \(status)")
            threads.append(thread)
        }
    }

    deinit {
        pthread_mutex_lock(&mutex)
        stopping = true
        generation.add(1, ordering: .releasing)
        pthread_cond_broadcast(&jobPosted)
        pthread_mutex_unlock(&mutex)
        for thread in threads { pthread_join(thread, nil) }
        pthread_cond_destroy(&jobPosted)
        pthread_cond_destroy(&jobDone)
        pthread_mutex_destroy(&mutex)
    }

    /// Runs `body(thread)` for every thread index at once; returns when every call has returned.
    package func run(_ body: (Int) -> Void) {
        guard count > 1 else { return body(0) }
        withoutActuallyEscaping(body) { body in
            job = body
            remaining.store(count - 1, ordering: .releasing)
            pthread_mutex_lock(&mutex)
            generation.add(1, ordering: .releasing)
            pthread_cond_broadcast(&jobPosted)
            pthread_mutex_unlock(&mutex)
            body(0)
            var spins = 0
            while remaining.load(ordering: .acquiring) > 0 && spins < Self.spinLimit { spins += 1 }
            if remaining.load(ordering: .acquiring) > 0 {
                pthread_mutex_lock(&mutex)
                while remaining.load(ordering: .acquiring) > 0 { pthread_cond_wait(&jobDone, &mutex) }
                pthread_mutex_unlock(&mutex)
            }
            job = nil
        }
    }

    private func workLoop(index: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen && spins < Self.spinLimit { spins += 1 }
            pthread_mutex_lock(&mutex)
            while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(&jobPosted, &mutex) }
            seen = generation.load(ordering: .acquiring)
            let stop = stopping
            var body = job
            pthread_mutex_unlock(&mutex)
            if stop { return }
            body!(index)
            // Let go of the job before saying it is done: `run` must be its last owner when it returns.
            body = nil
            if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                pthread_mutex_lock(&mutex)
                pthread_cond_signal(&jobDone)
                pthread_mutex_unlock(&mutex)
            }
        }
    }

    private final class WorkerContext {
        unowned let pool: WorkerThreads
        let index: Int
        init(pool: WorkerThreads, index: Int) {
            self.pool = pool
            self.index = index
        }
    }
}
