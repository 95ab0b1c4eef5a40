import Foundation
import Hummingbird
import NIOCore
import QazAPI
import ServiceLifecycle

extension FDORelay {
    /// The relay's HTTP server (run by ``run()``): `POST /receipts` takes a ``QazAPI/FiscalReceipt`` and answers a
    /// ``SignedReceipt``; `POST /receipts/autonomous` takes an ``AutonomousUpload`` and answers an
    /// ``AutonomousUploadAnswer``. Refusals are `{"error":{"code","message","details"}}` with 400, 409, 422 or 503.
    func application() -> Application<RouterResponder<BasicRequestContext>> {
        let router = Router()
        router.post("receipts") { request, context in
            try await Self.exchange(request, context, FiscalReceipt.self) { receipt throws(FDOLinkError) in try await self.send(receipt) }
        }
        router.post("receipts/autonomous") { request, context in
            try await Self.exchange(request, context, AutonomousUpload.self) { upload throws(FDOLinkError) in try await self.sendAutonomous(upload) }
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "fdo-relay"),
            onServerRunning: { channel in self.serverStarted(port: channel.localAddress?.port) },
            logger: logger)
    }

    private static func exchange<Body: Decodable, Answer: Encodable>(
        _ request: Request, _ context: BasicRequestContext, _ type: Body.Type,
        _ operation: (Body) async throws(FDOLinkError) -> Answer
    ) async throws -> Response {
        let bytes = try await request.body.collect(upTo: 64 << 20)
        let body: Body
        do {
            body = try WireCoding.decoder().decode(Body.self, from: Data(bytes.readableBytesView))
        } catch {
            return json(400, ErrorResponse(error: ErrorBody(code: .invalidJSON, message: "the body is not a \(Body.self): \(error)")))
        }
        do throws(FDOLinkError) {
            return json(200, try await operation(body))
        } catch {
            switch error {
            case .refused(let status, let body): return json(status, ErrorResponse(error: body))
            case .unreachable(let reason): return json(503, ErrorResponse(error: ErrorBody(code: .unavailable, message: reason)))
            }
        }
    }

    private static func json(_ status: Int, _ value: some Encodable) -> Response {
        let data = (try? WireCoding.encoder().encode(value)) ?? Data()
        return Response(status: .init(code: status), headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension FDORelay {
    /// Runs the relay in a `ServiceGroup` of its own while `body` runs, then shuts it down gracefully (it forwards what it
    /// holds, for at most the flush timeout), whether `body` returns or throws. For tests, the demo and tools; a service
    /// puts the relay in its own group instead.
    /// - Parameter body: gets the port the relay listens on.
    /// - Throws: ``FDOLinkError/unreachable(_:)`` when the server did not start, or what `body` or the relay throws.
    public func withRunning<T: Sendable>(_ body: (_ port: Int) async throws -> T) async throws -> T {
        let group = ServiceGroup(configuration: .init(services: [self], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            guard let port = await port() else {
                try await tasks.next()  // the relay's own error
                throw FDOLinkError.unreachable("the FDO relay did not start")
            }
            do {
                let value = try await body(port)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
