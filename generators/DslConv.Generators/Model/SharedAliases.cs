// The generator reads the runtime's own definitions (linked from src/DslConv, internal here) under the names it has
// always used: ActivationKind, PaddingKind and LossKind for the attribute enums, LayerKind for the layer kinds.
global using ActivationKind = DslConv.Activation;
global using LossKind = DslConv.Loss;
global using LayerKind = DslConv.Models.LayerType;
global using PaddingKind = DslConv.Padding;
