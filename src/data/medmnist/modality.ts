/**
 * Imaging modality of each MedMNIST dataset, as the MedMNIST v2 paper (Yang et al. 2023, Table 1)
 * lists its source data. Used to group datasets in leaderboard filters.
 */
export const MEDMNIST_MODALITY: Readonly<Record<string, string>> = {
  pathmnist: 'Pathology',
  chestmnist: 'X-ray',
  dermamnist: 'Dermatoscopy',
  octmnist: 'OCT',
  pneumoniamnist: 'X-ray',
  retinamnist: 'Fundus',
  breastmnist: 'Ultrasound',
  bloodmnist: 'Microscopy',
  tissuemnist: 'Microscopy',
  organamnist: 'CT',
  organcmnist: 'CT',
  organsmnist: 'CT',
  organmnist3d: 'CT',
  nodulemnist3d: 'CT',
  adrenalmnist3d: 'CT',
  fracturemnist3d: 'CT',
  vesselmnist3d: 'MRA',
  synapsemnist3d: 'Electron microscopy',
};
