/// Keys and values of every processed position, per layer, growing on demand up to the
/// model's context length.
///
/// The full history is kept even for sliding-window layers: memory is cheap at our context
/// sizes and it keeps snapshots and masking simple.
final class KVCache {
    let layerCount: Int
    /// Floats per position per layer (kv heads × head dimension).
    let width: Int
    let maximumPositions: Int
    private(set) var capacity = 0
    private(set) var keys: [UnsafeMutablePointer<Float>] = []
    private(set) var values: [UnsafeMutablePointer<Float>] = []

    init(layerCount: Int, width: Int, maximumPositions: Int) {
        self.layerCount = layerCount
        self.width = width
        self.maximumPositions = maximumPositions
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
    }

    /// Makes room for `positions` positions, keeping the first `used`.
    func reserve(_ positions: Int, keeping used: Int) {
        guard positions > capacity else { return }
        let newCapacity = min(maximumPositions, max(positions, capacity * 2, 256))
        keys = keys.isEmpty ? (0..<layerCount).map { _ in allocate(newCapacity) } : keys.map { grow($0, to: newCapacity, keeping: used) }
        values = values.isEmpty ? (0..<layerCount).map { _ in allocate(newCapacity) } : values.map { grow($0, to: newCapacity, keeping: used) }
        capacity = newCapacity
    }

    func key(layer: Int, position: Int) -> UnsafeMutablePointer<Float> { keys[layer] + position * width }
    func value(layer: Int, position: Int) -> UnsafeMutablePointer<Float> { values[layer] + position * width }

    private func allocate(_ positions: Int) -> UnsafeMutablePointer<Float> {
        .allocate(capacity: positions * width)
    }

    private func grow(_ old: UnsafeMutablePointer<Float>, to positions: Int, keeping used: Int) -> UnsafeMutablePointer<Float> {
        let new = allocate(positions)
        new.update(from: old, count: used * width)
        old.deallocate()
        return new
    }
}
