package ops.limits

import java.util.concurrent.TimeUnit

/** Token bucket: allows `capacity` requests, refilled at `perSecond` tokens per second. */
class RateLimiter(
    private val capacity: Int,
    private val perSecond: Double,
    private val clock: () -> Long = System::nanoTime,
) {
    private var tokens = capacity.toDouble()
    private var last = clock()

    @Synchronized
    fun tryAcquire(cost: Int = 1): Boolean {
        val now = clock()
        val elapsed = (now - last).toDouble() / TimeUnit.SECONDS.toNanos(1)
        tokens = minOf(capacity.toDouble(), tokens + elapsed * perSecond)
        last = now
        if (tokens < cost) return false
        tokens -= cost
        return true
    }
}
