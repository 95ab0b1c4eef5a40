import Foundation
import Hummingbird
import LineCore
import Mustache

/// Renders a console's pages: the shared layout (header with navigation, user, language and Astana clock; the
/// "connection lost" banner; footer) around a page template. Templates are Mustache: `{{value}}` is HTML-escaped,
/// so text from the line, the registrar or a form can never become markup; only the layout inserts the rendered page
/// with `{{{body}}}`. Every template gets `t` (the texts in the request's language), `lang`, `csrf` and `user`.
public struct ConsoleShell: Sendable {
    /// A link in the header.
    public struct NavItem: Sendable {
        public var path: String
        /// The localised text's key.
        public var key: String
        public init(_ path: String, _ key: String) {
            self.path = path
            self.key = key
        }
    }

    /// What a page is rendered for.
    public struct Viewer: Sendable {
        public var language: ConsoleLanguage
        public var session: ConsoleSession?
        /// The cookie to set because the request chose a language.
        public var languageCookie: Cookie?
    }

    public let product: String
    public let nav: [NavItem]
    public let localizer: Localizer
    public let fallbackLanguage: ConsoleLanguage
    private let library: MustacheLibrary

    /// - Parameter templates: page templates by name (`layout` is the shell's own).
    /// - Throws: a template that does not parse (a programming error the tests catch).
    public init(product: String, nav: [NavItem], localizer: Localizer, fallbackLanguage: ConsoleLanguage = .ru,
                templates: [String: String]) throws {
        self.product = product
        self.nav = nav
        self.localizer = localizer
        self.fallbackLanguage = fallbackLanguage
        var library = MustacheLibrary()
        try library.register(Self.layout, named: "layout")
        for (name, text) in templates { try library.register(text, named: name) }
        self.library = library
    }

    /// The viewer of a request.
    public func viewer(_ request: Request, session: ConsoleSession?) -> Viewer {
        Viewer(language: ConsoleLanguage.of(request, fallback: fallbackLanguage), session: session,
               languageCookie: ConsoleLanguage.cookie(for: request))
    }

    /// A whole page: `template` rendered with `context`, inside the layout.
    /// - Parameters:
    ///   - title: the page title's text key.
    ///   - active: the navigation path to highlight.
    ///   - live: the page's server-sent-event address (nil: a static page).
    public func page(_ template: String, title: String, context: [String: Any], viewer: Viewer, active: String,
                     live: String? = nil, status: HTTPResponse.Status = .ok, cookies: [Cookie] = []) -> Response {
        let language = viewer.language
        var full = common(viewer)
        for (key, value) in context { full[key] = value }
        let body = library.render(full, withTemplate: template) ?? "template \(template) is missing"
        var shell = common(viewer)
        shell["title"] = localizer.text(title, language)
        shell["product"] = product
        shell["body"] = body
        shell["live"] = live ?? ""
        shell["now"] = AstanaTime.display(Date())
        shell["nav"] = nav.map { ["path": $0.path, "label": localizer.text($0.key, language), "active": $0.path == active] as [String: Any] }
        shell["langs"] = ConsoleLanguage.allCases.map { ["code": $0.rawValue, "name": $0.ownName, "active": $0 == language] as [String: Any] }
        let html = library.render(shell, withTemplate: "layout") ?? ""
        return ConsoleResponse.html(html, status: status, cookies: cookies + [viewer.languageCookie].compactMap { $0 })
    }

    /// A template alone (a part of a page refreshed by the page's script).
    public func fragment(_ template: String, context: [String: Any], viewer: Viewer) -> Response {
        ConsoleResponse.html(render(template, context: context, viewer: viewer))
    }

    /// A template rendered to text (to embed in a page).
    public func render(_ template: String, context: [String: Any], viewer: Viewer) -> String {
        var full = common(viewer)
        for (key, value) in context { full[key] = value }
        return library.render(full, withTemplate: template) ?? "template \(template) is missing"
    }

    /// The text of `key` in the viewer's language.
    public func text(_ key: String, _ viewer: Viewer) -> String { localizer.text(key, viewer.language) }

    private func common(_ viewer: Viewer) -> [String: Any] {
        var context: [String: Any] = ["t": localizer.all(viewer.language), "lang": viewer.language.rawValue]
        if let session = viewer.session {
            context["csrf"] = session.csrf
            context["user"] = ["name": session.user.name, "roles": session.user.roles.sorted().joined(separator: ", ")]
        }
        return context
    }

    static let layout = """
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · {{product}}</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/console/assets/console.css">
        <script src="/console/assets/console.js" defer></script>
        </head>
        <body data-live="{{live}}">
        <header class="top">
          <a class="brand" href="/">{{product}}</a>
          <nav>{{#nav}}<a href="{{path}}"{{#active}} class="active"{{/active}}>{{label}}</a>{{/nav}}</nav>
          <div class="who">
            {{#user}}<span id="who">{{name}} · {{roles}}</span>
            <form method="post" action="/logout"><input type="hidden" name="csrf" value="{{csrf}}"><button id="sign-out">{{t.signOut}}</button></form>{{/user}}
            {{^user}}<a id="sign-in" href="/login">{{t.signIn}}</a>{{/user}}
            <span class="langs">{{#langs}}<a href="?lang={{code}}" title="{{name}}"{{#active}} class="active"{{/active}}>{{code}}</a>{{/langs}}</span>
            <span id="clock" class="clock" title="{{t.astanaTime}}">{{now}}</span>
          </div>
        </header>
        <div id="lost" class="lost" hidden>{{t.connectionLost}}</div>
        <main>
        {{{body}}}
        </main>
        <footer>{{product}} · {{t.astanaTime}} (UTC+5)</footer>
        </body>
        </html>
        """
}
