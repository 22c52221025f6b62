import CTandemHDF5
import Foundation
import TandemCore
import TandemData

/// Keras 3's `.weights.h5` (what `model.save_weights` writes and `model.load_weights` reads, and the
/// `model.weights.h5` inside a `.keras` archive), through libhdf5:
///
///     /layers/<store path>/vars/<i>   float32 datasets, the layer's variables in get_weights() order
///     /layers/<store path>/vars       attribute name = the layer's name (a group for every layer)
///     /vars                           attribute name = the model's name
package enum KerasWeightsFile {
    /// Writes `parameters` (the flat buffer of `model`) to `path`.
    package static func write(model: Model, parameters: UnsafePointer<Float>, to path: String) throws {
        tandem_h5_silence_errors()
        let fail = { (problem: String) in InputFileError(path: path, problem: problem) }
        let file = H5Fcreate(path, tandem_h5f_acc_trunc(), tandem_h5p_default(), tandem_h5p_default())
        guard file >= 0 else { throw fail("cannot create an HDF5 file here") }
        defer { H5Fclose(file) }
        func group(_ parent: hid_t, _ name: String) throws -> hid_t {
            let id = H5Gcreate2(parent, name, tandem_h5p_default(), tandem_h5p_default(), tandem_h5p_default())
            guard id >= 0 else { throw fail("cannot create group \(name)") }
            return id
        }
        let layers = try group(file, "layers")
        defer { H5Gclose(layers) }
        for layer in KerasWeightNames(model: model).layers {
            let layerGroup = try group(layers, layer.storePath)
            defer { H5Gclose(layerGroup) }
            let variables = try group(layerGroup, "vars")
            defer { H5Gclose(variables) }
            try writeNameAttribute(layer.layer, on: variables, fail: fail)
            for tensor in layer.tensors {
                var dimensions = tensor.shape.map { hsize_t($0) }
                let space = H5Screate_simple(Int32(dimensions.count), &dimensions, nil)
                defer { H5Sclose(space) }
                let dataset = H5Dcreate2(variables, "\(tensor.position)", tandem_h5t_ieee_f32le(), space,
                                         tandem_h5p_default(), tandem_h5p_default(), tandem_h5p_default())
                guard dataset >= 0 else { throw fail("cannot create dataset for \(tensor.name)") }
                defer { H5Dclose(dataset) }
                guard H5Dwrite(dataset, tandem_h5t_native_float(), tandem_h5s_all(), tandem_h5s_all(), tandem_h5p_default(),
                               parameters + tensor.offset) >= 0 else {
                    throw fail("cannot write \(tensor.name)")
                }
            }
        }
        let modelVariables = try group(file, "vars")
        defer { H5Gclose(modelVariables) }
        try writeNameAttribute(model.description.name, on: modelVariables, fail: fail)
        guard H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0 else { throw fail("cannot flush the HDF5 file") }
    }

    /// A variable-length UTF-8 string attribute `name`, as h5py writes a Python `str`.
    private static func writeNameAttribute(_ value: String, on object: hid_t, fail: (String) -> InputFileError) throws {
        let type = H5Tcopy(tandem_h5t_c_s1())
        defer { H5Tclose(type) }
        H5Tset_size(type, tandem_h5t_variable())
        H5Tset_cset(type, H5T_CSET_UTF8)
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attribute = H5Acreate2(object, "name", type, space, tandem_h5p_default(), tandem_h5p_default())
        guard attribute >= 0 else { throw fail("cannot write the attribute name = \(value)") }
        defer { H5Aclose(attribute) }
        let status = value.withCString { text -> herr_t in
            var pointer: UnsafePointer<CChar>? = text
            return H5Awrite(attribute, type, &pointer)
        }
        guard status >= 0 else { throw fail("cannot write the attribute name = \(value)") }
    }

    /// Reads the weights of `model` from `path` into a flat buffer of `model.parameterCount` floats.
    /// Every tensor must be there with its shape; one line names the first that is not.
    package static func read(model: Model, from path: String) throws -> [Float] {
        tandem_h5_silence_errors()
        let fail = { (problem: String) in InputFileError(path: path, problem: problem) }
        guard H5Fis_hdf5(path) > 0 else { throw fail("not a readable HDF5 file") }
        let file = H5Fopen(path, tandem_h5f_acc_rdonly(), tandem_h5p_default())
        guard file >= 0 else { throw fail("not a readable HDF5 file") }
        defer { H5Fclose(file) }
        var parameters = [Float](repeating: 0, count: model.parameterCount)
        for tensor in KerasWeightNames(model: model).tensors {
            let datasetPath = "layers/\(tensor.storePath)/vars/\(tensor.position)"
            guard H5Lexists(file, "layers", tandem_h5p_default()) > 0,
                  H5Lexists(file, "layers/\(tensor.storePath)", tandem_h5p_default()) > 0,
                  H5Lexists(file, "layers/\(tensor.storePath)/vars", tandem_h5p_default()) > 0,
                  H5Lexists(file, datasetPath, tandem_h5p_default()) > 0 else {
                throw fail("has no \(datasetPath) (\(tensor.name)): not the weights of this model")
            }
            let dataset = H5Dopen2(file, datasetPath, tandem_h5p_default())
            guard dataset >= 0 else { throw fail("cannot open \(datasetPath)") }
            defer { H5Dclose(dataset) }
            let space = H5Dget_space(dataset)
            defer { H5Sclose(space) }
            let rank = Int(H5Sget_simple_extent_ndims(space))
            guard rank >= 0, rank <= 8 else { throw fail("\(datasetPath) has an unreadable shape") }
            var dimensions = [hsize_t](repeating: 0, count: max(rank, 1))
            H5Sget_simple_extent_dims(space, &dimensions, nil)
            let shape = dimensions.prefix(rank).map { Int($0) }
            guard shape == tensor.shape else {
                throw fail("\(datasetPath) (\(tensor.name)) has shape \(shape); the model needs \(tensor.shape)")
            }
            let status = parameters.withUnsafeMutableBufferPointer {
                H5Dread(dataset, tandem_h5t_native_float(), tandem_h5s_all(), tandem_h5s_all(), tandem_h5p_default(),
                        $0.baseAddress! + tensor.offset)
            }
            guard status >= 0 else { throw fail("cannot read \(datasetPath) as float32") }
        }
        if let bad = parameters.firstIndex(where: { !$0.isFinite }) {
            throw fail("holds a non-finite weight (parameter \(bad))")
        }
        return parameters
    }
}
