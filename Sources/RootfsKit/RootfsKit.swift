// RootfsKit
