namespace DslConv;

/// <summary>
/// What every layer attribute takes: its <see cref="Name"/>, which other layers' <c>[Add]</c>, <c>[Concatenate]</c>
/// and <c>[From]</c> refer to.
/// </summary>
public abstract class LayerAttribute : Attribute
{
    /// <summary>
    /// Keras's layer name ("stem", "block1_conv1"): shown in the summary, used in weights files and by the graph
    /// attributes that read this layer's output. Letters, digits and underscores, starting with a letter; unique in the
    /// model; "input" names the model's input. Left out, the layer gets Keras's automatic name ("conv2d_1").
    /// </summary>
    public string? Name { get; set; }

    /// <summary>
    /// Keras's <c>trainable</c>: false starts the layer frozen (fine-tuning on a pretrained base). Its weights stay in
    /// <c>Parameters</c> and count in <c>ParameterCount</c> but take no optimizer update, a frozen BatchNorm normalises
    /// with its moving statistics and leaves them alone, and a training step's backward pass stops before the first
    /// layer with nothing trainable upstream. A trainer's <c>Freeze</c> / <c>Unfreeze</c> change it at run time.
    /// </summary>
    public bool Trainable { get; set; } = true;
}
