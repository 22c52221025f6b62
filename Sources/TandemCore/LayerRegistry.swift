/// Every layer a Keras model description may use, by Keras class name. A new layer is one line here.
package enum LayerRegistry {
    package static let layers: [any KerasLayer.Type] = [
        Conv2D.self,
        DepthwiseConv2D.self,
        SeparableConv2D.self,
        Dense.self,
        Flatten.self,
        MaxPooling2D.self,
        AveragePooling2D.self,
        GlobalPooling2D.self,
        ActivationLayer.self,
        PReLU.self,
        Dropout.self,
        GaussianNoise.self,
        ActivityRegularization.self,
        Normalization.self,
        BatchNormalization.self,
        LayerNormalization.self,
        GroupNormalization.self,
        RandomFlip.self,
        RandomTranslation.self,
        RandomRotation.self,
        RandomZoom.self,
        RandomContrast.self,
        RandomBrightness.self,
        RandomErasing.self,
        RandomCrop.self,
        ZeroPadding2D.self,
        Cropping2D.self,
        UpSampling2D.self,
        Resizing.self,
        Rescaling.self,
        Reshape.self,
        ElementwiseMerge.self,
        Concatenate.self,
    ]

    static let byClassName: [String: any KerasLayer.Type] = Dictionary(
        uniqueKeysWithValues: layers.flatMap { type in type.kerasClassNames.map { ($0, type) } })

    package static var supportedClassNames: [String] { byClassName.keys.sorted() }

    /// Builds one layer from its configuration, or says in one line that Tandem does not have it.
    package static func make(_ configuration: KerasLayerConfiguration, inputShape: TensorShape,
                             context: LayerBuildContext) throws -> any Layer {
        guard let type = byClassName[configuration.className] else {
            throw configuration.error("\(configuration.className) layers are not supported")
        }
        // Any Keras layer takes one; silently dropped, it would train another model.
        if let regularizer = configuration.config["activity_regularizer"], regularizer != .null {
            throw configuration.error("activity_regularizer \(regularizer["class_name"]?.string ?? regularizer.displayText) is not supported; an ActivityRegularization layer after it adds the same term to the loss")
        }
        return try type.init(keras: configuration, inputShape: inputShape, context: context)
    }
}
