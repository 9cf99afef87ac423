import Glibc

/// A thread that runs one closure and ends; nobody joins it.
///
/// For work that may block for seconds (`getaddrinfo` while DNS is down) and must stay off the event loop.
public enum DetachedThread {
    /// Starts `body` on a new detached thread. The corresponding C functions are `pthread_create` and
    /// `pthread_detach`.
    public static func start(_ body: @escaping @Sendable () -> Void) throws {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { context in
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            body.run()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            throw SystemError("pthread_create", errno: rc)
        }
        pthread_detach(thread)
    }

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}
