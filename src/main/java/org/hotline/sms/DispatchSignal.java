package org.hotline.sms;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** Wakes this node's dispatchers when a transaction that queued SMS commits, instead of waiting for the next poll. */
final class DispatchSignal {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition queued = lock.newCondition();
    private long generation;

    void wake() {
        lock.lock();
        try {
            generation++;
            queued.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code millis} or until woken. */
    void await(long millis) throws InterruptedException {
        lock.lock();
        try {
            long seen = generation;
            long nanos = TimeUnit.MILLISECONDS.toNanos(millis);
            while (generation == seen && nanos > 0) {
                nanos = queued.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }
}
