import LineCore
import Testing

/// Passwords in URLs and pipeline descriptions are hidden before they are shown or logged.
@Suite struct SecretRedactionTests {
    @Test("URL passwords and password properties are replaced by ***; the rest is kept", arguments: [
        ("rtsp://admin:Pa55w0rd@10.0.0.5:554/stream1", "rtsp://admin:***@10.0.0.5:554/stream1"),
        ("postgres://qaz:s3cret@127.0.0.1:1/qaz", "postgres://qaz:***@127.0.0.1:1/qaz"),
        ("rtspsrc location=rtsp://cam/s user-id=admin user-pw=Pa55 ! decodebin ! appsink",
         "rtspsrc location=rtsp://cam/s user-id=admin user-pw=*** ! decodebin ! appsink"),
        ("souphttpsrc location=http://u:p%40ss@cam/x password=\"a b\"", "souphttpsrc location=http://u:***@cam/x password=***"),
        ("rtsp://10.0.0.5/stream1", "rtsp://10.0.0.5/stream1"),
        ("rtsp://admin@10.0.0.5/stream1", "rtsp://admin@10.0.0.5/stream1"),
        ("/dev/video0", "/dev/video0"),
    ])
    func redacts(_ input: String, _ expected: String) {
        #expect(SecretRedaction.redactingPasswords(input) == expected)
    }
}
