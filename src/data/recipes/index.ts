export { RecipeSchema, RecipeStepSchema, type Recipe, type RecipeInput, type RecipeStep } from './schema.js';
export { BUILTIN_RECIPES, BUILTIN_RECIPE_NAMES, type BuiltinRecipeName } from './builtin.js';
export { compileRecipe, recipeHash, resolveRecipe, describeRecipe, type CompiledRecipe, type RecipeRef } from './compile.js';
export { prepareVolume, prepareVolumeSlices, type PreparedVolume } from './volume.js';
