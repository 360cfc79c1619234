import CinnabarLua

/// Libraries implemented in Swift and opened in every script state, as
/// (global name, opener). Each opener receives its name and sets the global.
enum LuaLibraries {
    static var all: [(String, cinnabar_swift_fn)] { [] }
}
